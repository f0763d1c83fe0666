import pytest
from lru_ttl_cache import LRUTTLCache


class FakeClock:
    def __init__(self, t: float = 50.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


@pytest.fixture
def clock():
    return FakeClock()


def test_expired_exactly_at_deadline(clock):
    c = LRUTTLCache(2, clock=clock)
    c.set("k", "v", ttl=5)
    clock.advance(5)
    assert "k" not in c
    assert c.get("k", "gone") == "gone"


def test_default_ttl_applies_and_explicit_ttl_overrides(clock):
    c = LRUTTLCache(4, default_ttl=2, clock=clock)
    c.set("short", 1)
    c.set("long", 2, ttl=100)
    clock.advance(3)
    assert c.keys() == ["long"]
    assert len(c) == 1


def test_no_default_ttl_means_never_expires(clock):
    c = LRUTTLCache(1, clock=clock)
    c.set("x", 1)
    clock.advance(10**9)
    assert c.get("x") == 1


def test_expired_entries_purged_before_evicting_live_lru(clock):
    c = LRUTTLCache(3, clock=clock)
    c.set("old", 0)
    c.set("temp", 1, ttl=1)
    c.set("mid", 2)
    clock.advance(2)
    c.set("new", 3)
    assert c.keys() == ["old", "mid", "new"]
    s = c.stats()
    assert s["evictions"] == 0
    assert s["expirations"] == 1


def test_eviction_counted_when_all_live(clock):
    c = LRUTTLCache(2, clock=clock)
    for i, k in enumerate("abcd"):
        c.set(k, i)
    assert c.keys() == ["c", "d"]
    assert c.stats()["evictions"] == 2


def test_replacing_key_refreshes_value_recency_and_lifetime(clock):
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1, ttl=10)
    c.set("b", 2)
    clock.advance(8)
    c.set("a", 11, ttl=10)
    c.set("c", 3)
    assert c.keys() == ["a", "c"]
    clock.advance(8)
    assert c.get("a") == 11
    assert c.stats()["evictions"] == 1


def test_replacing_key_in_full_cache_does_not_evict(clock):
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1)
    c.set("b", 2)
    c.set("a", 3)
    assert sorted(c.keys()) == ["a", "b"]
    assert c.stats()["evictions"] == 0


def test_contains_and_keys_do_not_touch_recency_or_stats(clock):
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1)
    c.set("b", 2)
    assert "a" in c
    assert "nope" not in c
    c.keys()
    c.set("c", 3)
    assert c.keys() == ["b", "c"]
    s = c.stats()
    assert (s["hits"], s["misses"]) == (0, 0)


def test_get_of_expired_counts_miss_and_expiration(clock):
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1, ttl=1)
    clock.advance(1.5)
    assert c.get("a") is None
    s = c.stats()
    assert s == {"hits": 0, "misses": 1, "evictions": 0, "expirations": 1, "size": 0}


def test_delete_reports_live_removal(clock):
    c = LRUTTLCache(3, clock=clock)
    c.set("a", 1)
    c.set("b", 2, ttl=1)
    assert c.delete("a") is True
    assert c.delete("a") is False
    clock.advance(1)
    assert c.delete("b") is False
    assert len(c) == 0


def test_purge_expired_returns_count(clock):
    c = LRUTTLCache(5, clock=clock)
    c.set("a", 1, ttl=1)
    c.set("b", 2, ttl=2)
    c.set("c", 3, ttl=3)
    c.set("d", 4)
    clock.advance(2)
    assert c.purge_expired() == 2
    assert c.keys() == ["c", "d"]
    assert c.stats()["expirations"] == 2
    assert c.purge_expired() == 0


def test_clear_keeps_stats(clock):
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1)
    c.get("a")
    c.clear()
    assert len(c) == 0 and c.get("a") is None
    s = c.stats()
    assert (s["hits"], s["misses"], s["size"]) == (1, 1, 0)


@pytest.mark.parametrize("kwargs", [{"capacity": -1}, {"capacity": 2, "default_ttl": 0},
                                    {"capacity": 2, "default_ttl": -3}, {"capacity": 2.5}])
def test_constructor_validation(kwargs):
    with pytest.raises(ValueError):
        LRUTTLCache(**kwargs)


def test_non_positive_ttl_on_set_rejected(clock):
    c = LRUTTLCache(2, clock=clock)
    with pytest.raises(ValueError):
        c.set("a", 1, ttl=0)
    with pytest.raises(ValueError):
        c.set("a", 1, ttl=-1)
    assert "a" not in c


def test_get_hit_promotes_entry(clock):
    c = LRUTTLCache(3, clock=clock)
    for k in "xyz":
        c.set(k, k.upper())
    assert c.get("x") == "X"
    c.set("w", "W")
    assert c.keys() == ["z", "x", "w"]
