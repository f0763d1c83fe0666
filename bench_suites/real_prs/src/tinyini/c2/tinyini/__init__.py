"""tinyini: read INI-style configuration text into plain dictionaries."""

from tinyini.config import Config
from tinyini.parser import ParseError, parse

__all__ = ["Config", "ParseError", "parse"]
