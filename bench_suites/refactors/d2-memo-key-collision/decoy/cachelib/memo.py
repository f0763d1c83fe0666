from __future__ import annotations

import functools
from typing import Any, Callable

from cachelib.store import Cache

_NOT_FOUND = object()


def make_key(func: Callable, args: tuple, kwargs: dict) -> tuple:
    # a tuple keeps argument boundaries, so separators inside values can no longer collide
    return (
        f"{func.__module__}.{func.__qualname__}",
        tuple(str(a) for a in args),
        tuple(sorted((k, str(v)) for k, v in kwargs.items())),
    )


def memoize(cache: Cache, ttl: float = 60.0) -> Callable:
    """Cache a function's results in `cache` for `ttl` seconds, per distinct call arguments."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = make_key(func, args, kwargs)
            value = cache.get(key, _NOT_FOUND)
            if value is _NOT_FOUND:
                value = func(*args, **kwargs)
                cache.set(key, value, ttl)
            return value

        return wrapper

    return decorate
