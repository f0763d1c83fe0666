"""An LRU cache whose entries can expire (see the task description for the exact rules)."""

from __future__ import annotations

import time
from collections import OrderedDict
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
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        if default_ttl is not None and not default_ttl > 0:
            raise ValueError(f"default_ttl must be > 0 or None, got {default_ttl!r}")
        self.capacity = capacity
        self.default_ttl = default_ttl
        self.clock = clock
        # key -> (value, deadline or None); order = least to most recently used
        self._data: OrderedDict[Hashable, tuple[Any, float | None]] = OrderedDict()
        self._hits = 0
        self._misses = 0
        self._evictions = 0
        self._expirations = 0

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _is_expired(deadline: float | None, now: float) -> bool:
        return deadline is not None and now >= deadline

    def _live(self, key: Hashable, now: float) -> bool:
        entry = self._data.get(key)
        return entry is not None and not self._is_expired(entry[1], now)

    # -- API ---------------------------------------------------------------------------------------
    def set(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        """Store `value` under `key` (ttl=None means the cache's default_ttl)."""
        if ttl is not None and not ttl > 0:
            raise ValueError(f"ttl must be > 0, got {ttl!r}")
        life = self.default_ttl if ttl is None else ttl
        now = self.clock()
        deadline = None if life is None else now + life
        if key in self._data:
            if self._is_expired(self._data[key][1], now):
                del self._data[key]
                self._expirations += 1
            else:
                self._data[key] = (value, deadline)
                self._data.move_to_end(key)
                return
        if len(self._data) >= self.capacity:
            self._purge(now)
        if len(self._data) >= self.capacity:
            self._data.popitem(last=False)
            self._evictions += 1
        self._data[key] = (value, deadline)

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Return the live value for `key`, or `default`."""
        now = self.clock()
        entry = self._data.get(key)
        if entry is None:
            self._misses += 1
            return default
        if self._is_expired(entry[1], now):
            del self._data[key]
            self._expirations += 1
            self._misses += 1
            return default
        self._data.move_to_end(key)
        self._hits += 1
        return entry[0]

    def delete(self, key: Hashable) -> bool:
        """Remove `key`; True if a live entry was removed."""
        if key not in self._data:
            return False
        live = self._live(key, self.clock())
        del self._data[key]
        if not live:
            self._expirations += 1
        return live

    def __contains__(self, key: object) -> bool:
        try:
            return self._live(key, self.clock())  # type: ignore[arg-type]
        except TypeError:
            return False

    def __len__(self) -> int:
        now = self.clock()
        return sum(1 for _, dl in self._data.values() if not self._is_expired(dl, now))

    def keys(self) -> list:
        """Live keys from least to most recently used."""
        now = self.clock()
        return [k for k, (_, dl) in self._data.items() if not self._is_expired(dl, now)]

    def _purge(self, now: float) -> int:
        dead = [k for k, (_, dl) in self._data.items() if self._is_expired(dl, now)]
        for k in dead:
            del self._data[k]
        self._expirations += len(dead)
        return len(dead)

    def purge_expired(self) -> int:
        """Drop every expired entry and return how many were dropped."""
        return self._purge(self.clock())

    def clear(self) -> None:
        """Remove every entry (statistics are kept)."""
        self._data.clear()

    def stats(self) -> dict[str, int]:
        """hits, misses, evictions, expirations and current size."""
        return {
            "hits": self._hits,
            "misses": self._misses,
            "evictions": self._evictions,
            "expirations": self._expirations,
            "size": len(self),
        }
