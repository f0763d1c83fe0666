from cachelib.memo import memoize
from cachelib.store import Cache


def fixed_clock():
    return 0.0


def test_separator_inside_arguments_does_not_collide():
    cache = Cache(fixed_clock)

    @memoize(cache)
    def get_price(region, sku):
        return f"{region}|{sku}"

    assert get_price("eu", "west:1") == "eu|west:1"
    assert get_price("eu:west", "1") == "eu:west|1"
    assert get_price("a=b", "c") == "a=b|c"
    assert get_price("a", "b=c") == "a|b=c"


def test_int_and_str_arguments_are_distinct():
    cache = Cache(fixed_clock)

    @memoize(cache)
    def lookup(key):
        return type(key).__name__

    assert lookup(1) == "int"
    assert lookup("1") == "str"
    assert lookup(None) == "NoneType"
    assert lookup("None") == "str"


def test_list_and_tuple_and_nested_arguments_are_distinct():
    cache = Cache(fixed_clock)

    @memoize(cache)
    def kind(x):
        return repr(x)

    assert kind([1, 2]) == "[1, 2]"
    assert kind((1, 2)) == "(1, 2)"
    assert kind([[1], 2]) == "[[1], 2]"
    assert kind(["[1]", 2]) == "['[1]', 2]"
    assert kind({"a": [1]}) == "{'a': [1]}"
    assert kind({"a": "[1]"}) == "{'a': '[1]'}"


def test_keyword_order_still_hits_and_values_are_typed():
    cache = Cache(fixed_clock)
    calls = []

    @memoize(cache)
    def f(a=None, b=None):
        calls.append((a, b))
        return (a, b)

    assert f(a=1, b=2) == (1, 2)
    assert f(b=2, a=1) == (1, 2)
    assert len(calls) == 1
    assert f(a="1", b=2) == ("1", 2)
    assert len(calls) == 2
