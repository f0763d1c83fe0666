"""Checks for d6-toposort, run by the cases scorer. Each case returns what it observed (orders, levels, the
input graph after the call, or for an expected cycle the exception and its ``cycle`` attribute); the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import Raised, attempt, case, raised
from toposort import CycleError, toposort, toposort_levels


def cycle_error(fn, graph):
    """What ``pytest.raises(CycleError) as info`` sees, as data: [the exception, info.value.cycle].

    An instance of the task's CycleError (a subclass included, as pytest.raises accepts) is reported under the
    name CycleError with its message, so ``raised("CycleError", regex)`` matches exactly when pytest.raises
    would; ``attempt`` alone would name only the exception's own class and its builtin bases. A normal return
    comes back in a form no ``raised(...)`` matches; any other exception fails the case.
    """
    try:
        value = fn(graph)
    except CycleError as exc:
        return [Raised(["CycleError"], str(exc)), exc.cycle]
    return ["returned", value]


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=["log", "lib", "app"])
def visible_dependencies_come_first():
    return toposort({"app": ["lib", "log"], "lib": ["log"], "log": []})


@case(expect=["b", "c", "a"])
def visible_tie_break_is_alphabetical():
    return toposort({"b": [], "a": ["c"], "c": []})


@case(expect=["y", "z"])
def visible_nodes_only_named_as_dependencies_are_included():
    return toposort({"z": ["y"]})


@case(expect=[["a"], ["b", "c"], ["d"]])
def visible_levels():
    return toposort_levels({"d": ["b", "c"], "b": ["a"], "c": ["a"], "a": []})


@case(expect=[raised("CycleError", r"\Acycle detected: a -> b -> c -> a\Z"), ["a", "b", "c", "a"]])
def visible_three_node_cycle_reported():
    return cycle_error(toposort, {"a": ["b"], "b": ["c"], "c": ["a"]})


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[[], []])
def empty_graph():
    return [toposort({}), toposort_levels({})]


@case(expect=["a", "b", "c", "d"])
def smallest_ready_node_wins_even_when_unlocked_later():
    # after "a" is placed, "b" becomes ready and must beat "c" which was ready from the start
    return toposort({"a": [], "c": [], "b": ["a"], "d": []})


@case(expect=["m", "n", "x", "b"])
def deep_chain_interleaving():
    return toposort({"m": [], "x": ["m"], "b": ["x"], "n": []})


@case(check="valid_order_for_larger_graph")
def output_is_a_valid_order_for_a_larger_graph():
    g = {f"n{i:02d}": [f"n{j:02d}" for j in range(i) if (i * j) % 7 == 3] for i in range(30)}
    return toposort(g)


@case(expect=["b", "a"])
def duplicate_dependencies_count_once():
    return toposort({"a": ["b", "b", "b"], "b": []})


@case(expect=[["c", "b", "a"], {"a": ("b",), "b": {"c"}, "c": []}])
def accepts_any_iterables_and_does_not_modify_input():
    g = {"a": ("b",), "b": {"c"}, "c": []}
    order = toposort(g)
    return [order, g]


@case(expect=[raised("CycleError", r"\Acycle detected: x -> x\Z"), ["x", "x"]])
def self_loop():
    return cycle_error(toposort, {"ok": [], "x": ["x"]})


@case(expect=[raised("CycleError"), ["p", "q", "r", "p"]])
def cycle_rotated_to_smallest_node():
    return cycle_error(toposort, {"start": ["q"], "q": ["r"], "r": ["p"], "p": ["q"]})


@case(expect=[raised("CycleError"), ["a", "b", "a"]])
def cycle_walk_takes_smallest_remaining_dependency():
    return cycle_error(toposort, {"a": ["c", "b"], "b": ["a"], "c": ["a"]})


@case(expect=[raised("CycleError"), ["j", "k", "j"]])
def cycle_ignores_placeable_nodes():
    return cycle_error(toposort, {"a": ["base"], "base": [], "k": ["j", "base"], "j": ["k"]})


@case(expect=raised("ValueError"))
def cycle_error_is_value_error():
    return attempt(toposort, {"a": ["b"], "b": ["a"]})


@case(expect=[raised("CycleError"), ["b", "c", "b"]])
def levels_raise_on_cycle_too():
    return cycle_error(toposort_levels, {"x": [], "c": ["b"], "b": ["c"]})


@case(expect=[["a", "z"], ["mid"], ["top"]])
def levels_use_longest_dependency():
    return toposort_levels({"top": ["a", "mid"], "mid": ["a"], "a": [], "z": []})


@case(expect=[[["a"], ["b"], ["c"]], ["a", "b", "c"]])
def levels_and_order_agree_on_single_chain():
    g = {"c": ["b"], "b": ["a"]}
    return [toposort_levels(g), toposort(g)]


@case(expect=[raised("CycleError", r"\Acycle detected: p -> q -> r -> p\Z"), ["p", "q", "r", "p"]])
def cycle_entered_from_outside_is_rotated():
    return cycle_error(toposort, {"a": ["r"], "r": ["p"], "p": ["q"], "q": ["r"]})

