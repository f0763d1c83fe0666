import pytest
from toposort import CycleError, toposort, toposort_levels


def test_dependencies_come_first():
    order = toposort({"app": ["lib", "log"], "lib": ["log"], "log": []})
    assert order == ["log", "lib", "app"]


def test_tie_break_is_alphabetical():
    assert toposort({"b": [], "a": ["c"], "c": []}) == ["b", "c", "a"]


def test_nodes_only_named_as_dependencies_are_included():
    assert toposort({"z": ["y"]}) == ["y", "z"]


def test_levels():
    g = {"d": ["b", "c"], "b": ["a"], "c": ["a"], "a": []}
    assert toposort_levels(g) == [["a"], ["b", "c"], ["d"]]


def test_three_node_cycle_reported():
    with pytest.raises(CycleError) as info:
        toposort({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert info.value.cycle == ["a", "b", "c", "a"]
    assert str(info.value) == "cycle detected: a -> b -> c -> a"
