"""Checks for d6-lru-ttl-cache, run by the cases scorer. Each case drives the cache with a fake clock and
returns what it observed (values, key lists, stats, ``attempt(...)`` results for calls that should raise);
the ``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import attempt, case, raised
from lru_ttl_cache import LRUTTLCache


class FakeClock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, dt):
        self.t += dt


def visible_clock():
    return FakeClock(1000.0)  # the visible tests' starting time


def hidden_clock():
    return FakeClock(50.0)  # the hidden tests' starting time


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[1, "fallback"])
def visible_set_and_get_roundtrip():
    c = LRUTTLCache(2, clock=visible_clock())
    c.set("a", 1)
    return [c.get("a"), c.get("zzz", "fallback")]


@case(expect=[False, ["a", "c"]])
def visible_least_recently_used_is_evicted():
    c = LRUTTLCache(2, clock=visible_clock())
    c.set("a", 1)
    c.set("b", 2)
    c.get("a")
    c.set("c", 3)
    return ["b" in c, c.keys()]


@case(expect=[1, None])
def visible_entry_expires_after_ttl():
    clock = visible_clock()
    c = LRUTTLCache(3, clock=clock)
    c.set("a", 1, ttl=10)
    clock.advance(9.5)
    first = c.get("a")
    clock.advance(1.0)
    return [first, c.get("a")]


@case(expect={"hits": 1, "misses": 1, "evictions": 0, "expirations": 0, "size": 1})
def visible_stats_count_hits_and_misses():
    c = LRUTTLCache(2, clock=visible_clock())
    c.set("a", 1)
    c.get("a")
    c.get("b")
    return c.stats()


@case(expect=raised("ValueError"))
def visible_invalid_capacity_rejected():
    return LRUTTLCache(0)


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[False, "gone"])
def expired_exactly_at_deadline():
    clock = hidden_clock()
    c = LRUTTLCache(2, clock=clock)
    c.set("k", "v", ttl=5)
    clock.advance(5)
    return ["k" in c, c.get("k", "gone")]


@case(expect=[["long"], 1])
def default_ttl_applies_and_explicit_ttl_overrides():
    clock = hidden_clock()
    c = LRUTTLCache(4, default_ttl=2, clock=clock)
    c.set("short", 1)
    c.set("long", 2, ttl=100)
    clock.advance(3)
    return [c.keys(), len(c)]


@case(expect=1)
def no_default_ttl_means_never_expires():
    clock = hidden_clock()
    c = LRUTTLCache(1, clock=clock)
    c.set("x", 1)
    clock.advance(10**9)
    return c.get("x")


@case(expect=[["old", "mid", "new"], 0, 1])
def expired_entries_purged_before_evicting_live_lru():
    clock = hidden_clock()
    c = LRUTTLCache(3, clock=clock)
    c.set("old", 0)
    c.set("temp", 1, ttl=1)
    c.set("mid", 2)
    clock.advance(2)
    c.set("new", 3)
    keys = c.keys()
    s = c.stats()
    return [keys, s["evictions"], s["expirations"]]


@case(expect=[["c", "d"], 2])
def eviction_counted_when_all_live():
    c = LRUTTLCache(2, clock=hidden_clock())
    for i, k in enumerate("abcd"):
        c.set(k, i)
    return [c.keys(), c.stats()["evictions"]]


@case(expect=[["a", "c"], 11, 1])
def replacing_key_refreshes_value_recency_and_lifetime():
    clock = hidden_clock()
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1, ttl=10)
    c.set("b", 2)
    clock.advance(8)
    c.set("a", 11, ttl=10)
    c.set("c", 3)
    keys = c.keys()
    clock.advance(8)
    return [keys, c.get("a"), c.stats()["evictions"]]


@case(expect=[["a", "b"], 0])
def replacing_key_in_full_cache_does_not_evict():
    c = LRUTTLCache(2, clock=hidden_clock())
    c.set("a", 1)
    c.set("b", 2)
    c.set("a", 3)
    return [sorted(c.keys()), c.stats()["evictions"]]


@case(expect=[True, False, ["b", "c"], (0, 0)])
def contains_and_keys_do_not_touch_recency_or_stats():
    c = LRUTTLCache(2, clock=hidden_clock())
    c.set("a", 1)
    c.set("b", 2)
    has_a = "a" in c
    has_nope = "nope" in c
    c.keys()
    c.set("c", 3)
    keys = c.keys()
    s = c.stats()
    return [has_a, has_nope, keys, (s["hits"], s["misses"])]


@case(expect=[None, {"hits": 0, "misses": 1, "evictions": 0, "expirations": 1, "size": 0}])
def get_of_expired_counts_miss_and_expiration():
    clock = hidden_clock()
    c = LRUTTLCache(2, clock=clock)
    c.set("a", 1, ttl=1)
    clock.advance(1.5)
    return [c.get("a"), c.stats()]


@case(expect=[True, False, False, 0])
def delete_reports_live_removal():
    clock = hidden_clock()
    c = LRUTTLCache(3, clock=clock)
    c.set("a", 1)
    c.set("b", 2, ttl=1)
    first = c.delete("a")
    second = c.delete("a")
    clock.advance(1)
    return [first, second, c.delete("b"), len(c)]


@case(expect=[2, ["c", "d"], 2, 0])
def purge_expired_returns_count():
    clock = hidden_clock()
    c = LRUTTLCache(5, clock=clock)
    c.set("a", 1, ttl=1)
    c.set("b", 2, ttl=2)
    c.set("c", 3, ttl=3)
    c.set("d", 4)
    clock.advance(2)
    purged = c.purge_expired()
    keys = c.keys()
    expirations = c.stats()["expirations"]
    return [purged, keys, expirations, c.purge_expired()]


@case(expect=[0, None, (1, 1, 0)])
def clear_keeps_stats():
    c = LRUTTLCache(2, clock=hidden_clock())
    c.set("a", 1)
    c.get("a")
    c.clear()
    size = len(c)
    after = c.get("a")
    s = c.stats()
    return [size, after, (s["hits"], s["misses"], s["size"])]


@case(expect=[raised("ValueError")] * 4)
def constructor_validation():
    params = [{"capacity": -1}, {"capacity": 2, "default_ttl": 0}, {"capacity": 2, "default_ttl": -3},
              {"capacity": 2.5}]
    return [attempt(LRUTTLCache, **kwargs) for kwargs in params]


@case(expect=[raised("ValueError"), raised("ValueError"), False])
def non_positive_ttl_on_set_rejected():
    c = LRUTTLCache(2, clock=hidden_clock())
    return [attempt(c.set, "a", 1, ttl=0), attempt(c.set, "a", 1, ttl=-1), "a" in c]


@case(expect=["X", ["z", "x", "w"]])
def get_hit_promotes_entry():
    c = LRUTTLCache(3, clock=hidden_clock())
    for k in "xyz":
        c.set(k, k.upper())
    got = c.get("x")
    c.set("w", "W")
    return [got, c.keys()]
