"""Line-oriented INI parsing; every error names the line it happened on."""

from __future__ import annotations

COMMENT_PREFIXES = ("#", ";")


class ParseError(ValueError):
    """Malformed input; ``lineno`` is 1-based so editors can jump to it."""

    def __init__(self, lineno: int, message: str) -> None:
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


def parse(text: str) -> dict[str, dict[str, str]]:
    """Parse INI text into ``{section: {key: value}}``; pairs before any header go to section ``""``."""
    data: dict[str, dict[str, str]] = {"": {}}
    section = ""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(COMMENT_PREFIXES):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ParseError(lineno, "section header must end with ']'")
            section = line[1:-1].strip()
            if not section:
                raise ParseError(lineno, "empty section name")
            data.setdefault(section, {})
            continue
        key, value = _split_pair(line, lineno)
        data[section][key.lower()] = value
    return data


def _split_pair(line: str, lineno: int) -> tuple[str, str]:
    if "=" in line:
        key, value = line.split("=", 1)
    elif ":" in line:
        key, value = line.split(":", 1)
    else:
        raise ParseError(lineno, "expected 'key = value' or 'key: value'")
    key, value = key.strip(), value.strip()
    if not key:
        raise ParseError(lineno, "missing key before the delimiter")
    return key, value
