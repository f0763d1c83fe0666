"""Parsing of MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] strings into an immutable Version."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_NUM = r"0|[1-9]\d*"
_IDENT = r"[0-9A-Za-z-]+"
_PATTERN = re.compile(
    rf"^(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?$"
)


class InvalidVersion(ValueError):
    """The string is not a semantic version; the message quotes it so logs show the culprit."""


@dataclass(frozen=True)
class Version:
    """A parsed version; ``build`` metadata is kept for display but never affects ordering."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse strictly: no leading "v", no leading zeros in numbers, no empty identifiers."""
        match = _PATTERN.match(text)
        if match is None:
            raise InvalidVersion(f"not a semantic version: {text!r}")
        pre = tuple(match["pre"].split(".")) if match["pre"] else ()
        for ident in pre:
            if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
                raise InvalidVersion(f"numeric pre-release identifier with leading zero in {text!r}")
        build = tuple(match["build"].split(".")) if match["build"] else ()
        return cls(int(match["major"]), int(match["minor"]), int(match["patch"]), pre, build)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def bump(self, part: str) -> Version:
        """The next release: "major", "minor" or "patch" (pre-release and build are dropped)."""
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"part must be 'major', 'minor' or 'patch', not {part!r}")

    def _key(self) -> tuple[Any, ...]:
        """Sort key for precedence; build metadata is deliberately not part of it."""
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, self.prerelease)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` has lower, equal or higher precedence than ``b`` (build metadata ignored)."""
    ka, kb = Version.parse(a)._key(), Version.parse(b)._key()
    return (ka > kb) - (ka < kb)


def latest(versions: Iterable[str], include_prereleases: bool = False) -> str | None:
    """The highest version string, skipping pre-releases unless asked; None when nothing qualifies."""
    parsed = [Version.parse(v) for v in versions]
    candidates = [v for v in parsed if include_prereleases or not v.is_prerelease]
    return str(max(candidates)) if candidates else None
