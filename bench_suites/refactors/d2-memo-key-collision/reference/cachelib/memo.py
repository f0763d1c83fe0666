from __future__ import annotations

import functools
from typing import Any, Callable, Hashable

from cachelib.store import Cache

_NOT_FOUND = object()


def _freeze(value: Any) -> Hashable:
    """A hashable, type-aware stand-in for `value`: equal only for arguments that are really equal."""
    if isinstance(value, (list, tuple)):
        return (type(value).__qualname__, tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        items = sorted(((_freeze(k), _freeze(v)) for k, v in value.items()), key=repr)
        return ("dict", tuple(items))
    if isinstance(value, (set, frozenset)):
        return (type(value).__qualname__, frozenset(_freeze(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return (type(value).__qualname__, "repr", repr(value))
    return (type(value).__qualname__, value)


def make_key(func: Callable, args: tuple, kwargs: dict) -> Hashable:
    return (
        f"{func.__module__}.{func.__qualname__}",
        tuple(_freeze(a) for a in args),
        tuple(sorted((k, _freeze(v)) for k, v in kwargs.items())),
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
