"""A token-bucket rate limiter (see the task description for the exact rules)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Holds up to `capacity` tokens, refilled continuously at `refill_rate` tokens per second."""

    def __init__(
        self,
        capacity: float,
        refill_rate: float,
        clock: Callable[[], float] = time.monotonic,
        initial_tokens: float | None = None,
    ) -> None:
        if not capacity > 0:
            raise ValueError(f"capacity must be > 0, got {capacity!r}")
        if not refill_rate > 0:
            raise ValueError(f"refill_rate must be > 0, got {refill_rate!r}")
        if initial_tokens is None:
            initial_tokens = capacity
        if not 0 <= initial_tokens <= capacity:
            raise ValueError(f"initial_tokens must be within [0, {capacity}], got {initial_tokens!r}")
        self.capacity = float(capacity)
        self.refill_rate = float(refill_rate)
        self.clock = clock
        self._tokens = float(initial_tokens)
        self._last = clock()
        self._granted = 0
        self._denied = 0
        self._tokens_granted = 0.0

    def _refill(self) -> None:
        now = self.clock()
        elapsed = now - self._last
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_rate)
        self._last = now

    def _check(self, n: float) -> None:
        if not 0 < n <= self.capacity:
            raise ValueError(f"n must be > 0 and <= capacity ({self.capacity}), got {n!r}")

    @property
    def tokens(self) -> float:
        """Current number of tokens (after refill)."""
        self._refill()
        return self._tokens

    def try_acquire(self, n: float = 1) -> bool:
        """Take `n` tokens if available."""
        self._check(n)
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            self._granted += 1
            self._tokens_granted += n
            return True
        self._denied += 1
        return False

    def wait_time(self, n: float = 1) -> float:
        """Seconds until `n` tokens are available (0.0 if available now)."""
        self._check(n)
        self._refill()
        if self._tokens >= n:
            return 0.0
        return (n - self._tokens) / self.refill_rate

    def stats(self) -> dict[str, float]:
        """granted, denied and tokens_granted counters."""
        return {"granted": self._granted, "denied": self._denied, "tokens_granted": self._tokens_granted}
