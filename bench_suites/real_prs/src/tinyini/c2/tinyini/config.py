"""Typed access to parsed INI data, so callers stop re-implementing int/bool conversion."""

from __future__ import annotations

from tinyini.parser import parse

_TRUE = frozenset({"1", "yes", "true", "on"})
_FALSE = frozenset({"0", "no", "false", "off"})
_MISSING = object()


class Config:
    """Read-only view of one INI document with typed getters and defaults."""

    def __init__(self, text: str) -> None:
        self._data = parse(text)

    @property
    def sections(self) -> list[str]:
        """Named sections in first-seen order (the default section is not listed)."""
        return [name for name in self._data if name]

    def get(self, section: str, key: str, default: object = _MISSING) -> str:
        """The raw string value; ``KeyError`` names section and key when absent and no default is given."""
        try:
            return self._data[section][key.lower()]
        except KeyError:
            if default is _MISSING:
                raise KeyError(f"[{section}] {key}") from None
            return default  # type: ignore[return-value]

    def getint(self, section: str, key: str, default: object = _MISSING) -> int:
        """The value as an int; a value that is not an integer raises ``ValueError`` naming the key."""
        value = self.get(section, key, default)
        if not isinstance(value, str):
            return value  # type: ignore[return-value]
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"[{section}] {key}: {value!r} is not an integer") from None

    def getboolean(self, section: str, key: str, default: object = _MISSING) -> bool:
        """The value as a bool (1/0, yes/no, true/false, on/off; any case)."""
        value = self.get(section, key, default)
        if not isinstance(value, str):
            return value  # type: ignore[return-value]
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"[{section}] {key}: {value!r} is not a boolean")
