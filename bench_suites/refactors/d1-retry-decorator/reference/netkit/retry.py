"""A retry decorator with exponential backoff, optional jitter and injectable sleep/randomness."""

from __future__ import annotations

import functools
import random
import time
from typing import Any, Callable

from netkit.errors import RetryError


def backoff_delay(
    retry_number: int,
    base_delay: float,
    factor: float,
    max_delay: float,
    jitter: float = 0.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Delay before retry number `retry_number` (1 for the first retry)."""
    delay = min(max_delay, base_delay * factor ** (retry_number - 1))
    if jitter > 0:
        delay *= 1 - jitter + 2 * jitter * rng()
    return delay


def retry(
    *,
    attempts: int = 3,
    base_delay: float = 0.1,
    factor: float = 2.0,
    max_delay: float = 10.0,
    jitter: float = 0.0,
    retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> Callable:
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    if base_delay < 0 or max_delay < 0 or factor < 1:
        raise ValueError("delays must be >= 0 and factor >= 1")
    if not 0 <= jitter <= 1:
        raise ValueError("jitter must be within [0, 1]")

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except retry_on as exc:
                    if attempt == attempts:
                        raise RetryError(f"gave up after {attempts} attempts", attempts, exc) from exc
                    delay = backoff_delay(attempt, base_delay, factor, max_delay, jitter, rng)
                    if on_retry is not None:
                        on_retry(attempt, exc, delay)
                    sleep(delay)
            raise AssertionError("unreachable")

        return wrapper

    return decorate
