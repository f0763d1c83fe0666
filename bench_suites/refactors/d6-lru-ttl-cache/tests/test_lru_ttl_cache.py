import pytest
from lru_ttl_cache import LRUTTLCache


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def test_set_and_get_roundtrip():
    c = LRUTTLCache(2, clock=FakeClock())
    c.set("a", 1)
    assert c.get("a") == 1
    assert c.get("zzz", "fallback") == "fallback"


def test_least_recently_used_is_evicted():
    c = LRUTTLCache(2, clock=FakeClock())
    c.set("a", 1)
    c.set("b", 2)
    c.get("a")
    c.set("c", 3)
    assert "b" not in c
    assert c.keys() == ["a", "c"]


def test_entry_expires_after_ttl():
    clock = FakeClock()
    c = LRUTTLCache(3, clock=clock)
    c.set("a", 1, ttl=10)
    clock.advance(9.5)
    assert c.get("a") == 1
    clock.advance(1.0)
    assert c.get("a") is None


def test_stats_count_hits_and_misses():
    c = LRUTTLCache(2, clock=FakeClock())
    c.set("a", 1)
    c.get("a")
    c.get("b")
    s = c.stats()
    assert s == {"hits": 1, "misses": 1, "evictions": 0, "expirations": 0, "size": 1}


def test_invalid_capacity_rejected():
    with pytest.raises(ValueError):
        LRUTTLCache(0)
