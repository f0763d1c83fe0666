import copy

import pytest
from toposort import CycleError, toposort, toposort_levels


def test_empty_graph():
    assert toposort({}) == []
    assert toposort_levels({}) == []


def test_smallest_ready_node_wins_even_when_unlocked_later():
    # after "a" is placed, "b" becomes ready and must beat "c" which was ready from the start
    g = {"a": [], "c": [], "b": ["a"], "d": []}
    assert toposort(g) == ["a", "b", "c", "d"]


def test_deep_chain_interleaving():
    g = {"m": [], "x": ["m"], "b": ["x"], "n": []}
    assert toposort(g) == ["m", "n", "x", "b"]


def test_output_is_a_valid_order_for_a_larger_graph():
    g = {f"n{i:02d}": [f"n{j:02d}" for j in range(i) if (i * j) % 7 == 3] for i in range(30)}
    order = toposort(g)
    assert sorted(order) == sorted(g)
    pos = {n: i for i, n in enumerate(order)}
    for n, ds in g.items():
        for d in ds:
            assert pos[d] < pos[n]


def test_duplicate_dependencies_count_once():
    assert toposort({"a": ["b", "b", "b"], "b": []}) == ["b", "a"]


def test_accepts_any_iterables_and_does_not_modify_input():
    g = {"a": ("b",), "b": {"c"}, "c": []}
    before = copy.deepcopy(g)
    assert toposort(g) == ["c", "b", "a"]
    assert g == before


def test_self_loop():
    with pytest.raises(CycleError) as info:
        toposort({"ok": [], "x": ["x"]})
    assert info.value.cycle == ["x", "x"]
    assert str(info.value) == "cycle detected: x -> x"


def test_cycle_rotated_to_smallest_node():
    g = {"start": ["q"], "q": ["r"], "r": ["p"], "p": ["q"]}
    with pytest.raises(CycleError) as info:
        toposort(g)
    assert info.value.cycle == ["p", "q", "r", "p"]


def test_cycle_walk_takes_smallest_remaining_dependency():
    g = {"a": ["c", "b"], "b": ["a"], "c": ["a"]}
    with pytest.raises(CycleError) as info:
        toposort(g)
    assert info.value.cycle == ["a", "b", "a"]


def test_cycle_ignores_placeable_nodes():
    g = {"a": ["base"], "base": [], "k": ["j", "base"], "j": ["k"]}
    with pytest.raises(CycleError) as info:
        toposort(g)
    assert info.value.cycle == ["j", "k", "j"]


def test_cycle_error_is_value_error():
    with pytest.raises(ValueError):
        toposort({"a": ["b"], "b": ["a"]})


def test_levels_raise_on_cycle_too():
    with pytest.raises(CycleError) as info:
        toposort_levels({"x": [], "c": ["b"], "b": ["c"]})
    assert info.value.cycle == ["b", "c", "b"]


def test_levels_use_longest_dependency():
    g = {"top": ["a", "mid"], "mid": ["a"], "a": [], "z": []}
    assert toposort_levels(g) == [["a", "z"], ["mid"], ["top"]]


def test_levels_and_order_agree_on_single_chain():
    g = {"c": ["b"], "b": ["a"]}
    assert toposort_levels(g) == [["a"], ["b"], ["c"]]
    assert toposort(g) == ["a", "b", "c"]


def test_cycle_entered_from_outside_is_rotated():
    g = {"a": ["r"], "r": ["p"], "p": ["q"], "q": ["r"]}
    with pytest.raises(CycleError) as info:
        toposort(g)
    assert info.value.cycle == ["p", "q", "r", "p"]
    assert str(info.value) == "cycle detected: p -> q -> r -> p"
