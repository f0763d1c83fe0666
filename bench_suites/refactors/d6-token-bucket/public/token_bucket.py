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
        self.capacity = capacity
        self.refill_rate = refill_rate
        self.clock = clock

    @property
    def tokens(self) -> float:
        """Current number of tokens (after refill)."""
        return 0.0

    def try_acquire(self, n: float = 1) -> bool:
        """Take `n` tokens if available."""
        return False

    def wait_time(self, n: float = 1) -> float:
        """Seconds until `n` tokens are available (0.0 if available now)."""
        return 0.0

    def stats(self) -> dict[str, float]:
        """granted, denied and tokens_granted counters."""
        return {}
