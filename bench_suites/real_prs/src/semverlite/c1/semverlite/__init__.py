"""semverlite: semantic version strings as comparable values."""

from semverlite.version import InvalidVersion, Version

__all__ = ["InvalidVersion", "Version"]
