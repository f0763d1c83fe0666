from __future__ import annotations

import time
from typing import Any, Callable, Hashable

_MISSING = object()


class Cache:
    """Key -> value with a per-entry expiry time. Keys must be hashable."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, default: Any = _MISSING) -> Any:
        entry = self._data.get(key)
        if entry is not None and self.clock() < entry[0]:
            self.hits += 1
            return entry[1]
        self._data.pop(key, None)
        self.misses += 1
        return None if default is _MISSING else default

    def set(self, key: Hashable, value: Any, ttl: float) -> None:
        self._data[key] = (self.clock() + ttl, value)

    def __len__(self) -> int:
        return len(self._data)
