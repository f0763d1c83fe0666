"""Per-client rate limiting: fixed-window and sliding-window limiters plus a middleware."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Callable, Hashable

from webapp.http import Handler, Request, Response

Clock = Callable[[], float]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: float  # seconds until a request could be allowed again (0.0 when allowed)


class FixedWindowLimiter:
    """At most `limit` requests per key in each window [k*window_s, (k+1)*window_s)."""

    def __init__(self, limit: int, window_s: float, clock: Clock) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._counts: dict[Hashable, tuple[int, int]] = {}

    def hit(self, key: Hashable) -> Decision:
        now = self.clock()
        window = math.floor(now / self.window_s)
        start, count = self._counts.get(key, (window, 0))
        if start != window:
            count = 0
        if count >= self.limit:
            self._counts[key] = (window, count)
            return Decision(False, 0, (window + 1) * self.window_s - now)
        count += 1
        self._counts[key] = (window, count)
        return Decision(True, self.limit - count, 0.0)


class SlidingWindowLimiter:
    """At most `limit` allowed requests per key within any `window_s` seconds (sliding log)."""

    def __init__(self, limit: int, window_s: float, clock: Clock) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = {}

    def hit(self, key: Hashable) -> Decision:
        now = self.clock()
        log = self._hits.setdefault(key, deque())
        while log and log[0] + self.window_s < now:
            log.popleft()
        if len(log) >= self.limit:
            return Decision(False, 0, log[0] + self.window_s - now)
        log.append(now)
        return Decision(True, self.limit - len(log), 0.0)


def by_client_ip(request: Request) -> Hashable | None:
    return request.client_ip


def rate_limit(limiter, key_func: Callable[[Request], Hashable | None] = by_client_ip):
    """Middleware: answer 429 when `limiter` refuses the request's key; key None means exempt."""

    def middleware(handler: Handler) -> Handler:
        def wrapped(request: Request) -> Response:
            key = key_func(request)
            if key is None:
                return handler(request)
            decision = limiter.hit(key)
            if not decision.allowed:
                return Response(
                    429,
                    "rate limit exceeded",
                    {"Retry-After": str(int(decision.retry_after)), "X-RateLimit-Remaining": "0"},
                )
            response = handler(request)
            response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
            return response

        return wrapped

    return middleware
