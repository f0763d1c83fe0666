"""Checks for d2-memo-key-collision, run by the cases scorer: each case returns what it observed; the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

from cachelib.memo import memoize
from cachelib.store import Cache
from hybrid_cases import case


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def fixed_clock():
    return 0.0


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[16, 16, [4], 1])
def visible_repeated_call_is_served_from_cache():
    cache = Cache(FakeClock())
    calls = []

    @memoize(cache, ttl=10)
    def square(x):
        calls.append(x)
        return x * x

    return [square(4), square(4), calls, cache.hits]


@case(expect=["a", "a"])
def visible_entries_expire_after_ttl():
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
    return calls


@case(expect=[6, 12, 6])
def visible_list_arguments_are_supported():
    cache = Cache(FakeClock())

    @memoize(cache)
    def total(values, scale=1):
        return sum(values) * scale

    return [total([1, 2, 3]), total([1, 2, 3], scale=2), total([1, 2, 3])]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=["eu|west:1", "eu:west|1", "a=b|c", "a|b=c"])
def separator_inside_arguments_does_not_collide():
    cache = Cache(fixed_clock)

    @memoize(cache)
    def get_price(region, sku):
        return f"{region}|{sku}"

    return [get_price("eu", "west:1"), get_price("eu:west", "1"), get_price("a=b", "c"), get_price("a", "b=c")]


@case(expect=["int", "str", "NoneType", "str"])
def int_and_str_arguments_are_distinct():
    cache = Cache(fixed_clock)

    @memoize(cache)
    def lookup(key):
        return type(key).__name__

    return [lookup(1), lookup("1"), lookup(None), lookup("None")]


@case(expect=["[1, 2]", "(1, 2)", "[[1], 2]", "['[1]', 2]", "{'a': [1]}", "{'a': '[1]'}"])
def list_and_tuple_and_nested_arguments_are_distinct():
    cache = Cache(fixed_clock)

    @memoize(cache)
    def kind(x):
        return repr(x)

    return [kind([1, 2]), kind((1, 2)), kind([[1], 2]), kind(["[1]", 2]), kind({"a": [1]}), kind({"a": "[1]"})]


@case(expect=[(1, 2), (1, 2), 1, ("1", 2), 2])
def keyword_order_still_hits_and_values_are_typed():
    cache = Cache(fixed_clock)
    calls = []

    @memoize(cache)
    def f(a=None, b=None):
        calls.append((a, b))
        return (a, b)

    out = [f(a=1, b=2), f(b=2, a=1), len(calls)]
    out += [f(a="1", b=2), len(calls)]
    return out
