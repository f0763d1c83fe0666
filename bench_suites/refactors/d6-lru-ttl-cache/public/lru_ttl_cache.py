"""An LRU cache whose entries can expire (see the task description for the exact rules)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any


class LRUTTLCache:
    """Least-recently-used cache with an optional time-to-live per entry."""

    def __init__(
        self,
        capacity: int,
        default_ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.default_ttl = default_ttl
        self.clock = clock

    def set(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        """Store `value` under `key` (ttl=None means the cache's default_ttl)."""
        return None

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Return the live value for `key`, or `default`."""
        return None

    def delete(self, key: Hashable) -> bool:
        """Remove `key`; True if a live entry was removed."""
        return False

    def __contains__(self, key: object) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def keys(self) -> list:
        """Live keys from least to most recently used."""
        return []

    def purge_expired(self) -> int:
        """Drop every expired entry and return how many were dropped."""
        return 0

    def clear(self) -> None:
        """Remove every entry (statistics are kept)."""
        return None

    def stats(self) -> dict[str, int]:
        """hits, misses, evictions, expirations and current size."""
        return {}
