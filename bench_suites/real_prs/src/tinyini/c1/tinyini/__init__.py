"""tinyini: read INI-style configuration text into plain dictionaries."""

from tinyini.parser import ParseError, parse

__all__ = ["ParseError", "parse"]
