"""semverlite: semantic version strings as comparable values."""

from semverlite.version import InvalidVersion, Version, compare, latest

__all__ = ["InvalidVersion", "Version", "compare", "latest"]
