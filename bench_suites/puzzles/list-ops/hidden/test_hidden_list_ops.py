import ast
from pathlib import Path

import list_ops
from list_ops import append, concat, filter_items, foldl, foldr, length, map_items, reverse


def test_append_empty_sides_and_no_mutation():
    a, b = [1], [2, 3]
    assert append([], b) == [2, 3]
    assert append(a, []) == [1]
    r = append(a, b)
    r.append(99)
    assert a == [1] and b == [2, 3]


def test_concat_flattens_exactly_one_level():
    assert concat([[1, 2], [], [3], [[4, 5]]]) == [1, 2, 3, [4, 5]]
    assert concat([]) == []


def test_filter_keeps_order_and_truthiness():
    assert filter_items(lambda x: x % 2, [1, 2, 3, 5, 8]) == [1, 3, 5]
    assert filter_items(lambda x: x, [0, "", "a", None, [1]]) == ["a", [1]]


def test_length_of_empty_and_nested():
    assert length([]) == 0
    assert length([[1, 2], [3]]) == 2


def test_reverse_does_not_mutate_and_keeps_nested():
    xs = [[1, 2], [3]]
    assert reverse(xs) == [[3], [1, 2]]
    assert xs == [[1, 2], [3]]
    assert reverse([]) == []


def test_foldl_order_is_left_to_right():
    assert foldl(lambda acc, x: acc - x, [1, 2, 3], 10) == 4
    assert foldl(lambda acc, x: acc + x, ["b", "c"], "a") == "abc"


def test_foldr_order_is_right_to_left():
    assert foldr(lambda x, acc: x - acc, [1, 2, 3], 0) == 2
    assert foldr(lambda x, acc: x + acc, ["a", "b"], "z") == "abz"


def test_foldr_builds_list_in_order():
    assert foldr(lambda x, acc: append([x * 2], acc), [1, 2, 3], []) == [2, 4, 6]


def test_folds_of_empty_return_initial():
    assert foldl(lambda a, x: 1 / 0, [], "init") == "init"
    assert foldr(lambda x, a: 1 / 0, [], "init") == "init"


def test_map_empty():
    assert map_items(str, []) == []


def test_source_avoids_forbidden_builtins_and_imports():
    tree = ast.parse(Path(list_ops.__file__).read_text(encoding="utf-8"))
    forbidden = {"len", "map", "filter", "reversed", "sorted", "sum"}
    for node in ast.walk(tree):
        assert not isinstance(node, (ast.Import, ast.ImportFrom)), "imports are not allowed"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in forbidden, f"uses built-in {node.func.id}()"
