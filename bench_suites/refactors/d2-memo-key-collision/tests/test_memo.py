from cachelib.memo import memoize
from cachelib.store import Cache


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_repeated_call_is_served_from_cache():
    cache = Cache(FakeClock())
    calls = []

    @memoize(cache, ttl=10)
    def square(x):
        calls.append(x)
        return x * x

    assert square(4) == 16
    assert square(4) == 16
    assert calls == [4]
    assert cache.hits == 1


def test_entries_expire_after_ttl():
    clock = FakeClock()
    cache = Cache(clock)
    calls = []

    @memoize(cache, ttl=5)
    def load(name):
        calls.append(name)
        return name.upper()

    load("a")
    clock.t = 4.9
    load("a")
    clock.t = 5.0
    load("a")
    assert calls == ["a", "a"]


def test_list_arguments_are_supported():
    cache = Cache(FakeClock())

    @memoize(cache)
    def total(values, scale=1):
        return sum(values) * scale

    assert total([1, 2, 3]) == 6
    assert total([1, 2, 3], scale=2) == 12
    assert total([1, 2, 3]) == 6
