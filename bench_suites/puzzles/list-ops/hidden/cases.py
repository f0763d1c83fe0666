"""Checks for list-ops, run by the cases scorer: each case returns what it observed (results, and the
arguments after the calls, to see they were not modified); the ``expect=`` literals are stripped before
this file enters the sandbox and compared outside it. The ban on built-ins and imports is checked on the
harness's side, by reading the candidate's source (``verdicts.py``)."""

import os

import list_ops
from hybrid_cases import case
from list_ops import append, concat, filter_items, foldl, foldr, length, map_items, reverse

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[1, 2, 3])
def visible_append():
    return append([1, 2], [3])


@case(expect=[3, [3, 2, 1]])
def visible_length_and_reverse():
    return [length([5, 6, 7]), reverse([1, 2, 3])]


@case(expect=[[10, 20], 6])
def visible_map_and_foldl():
    return [map_items(lambda x: x * 10, [1, 2]), foldl(lambda acc, x: acc + x, [1, 2, 3], 0)]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[[2, 3], [1], [1], [2, 3]])
def append_empty_sides_and_no_mutation():
    a, b = [1], [2, 3]
    left_empty = append([], b)
    right_empty = append(a, [])
    r = append(a, b)
    r.append(99)  # the result is a new list: growing it leaves the arguments alone
    return [left_empty, right_empty, a, b]


@case(expect=[[1, 2, 3, [4, 5]], []])
def concat_flattens_exactly_one_level():
    return [concat([[1, 2], [], [3], [[4, 5]]]), concat([])]


@case(expect=[[1, 3, 5], ["a", [1]]])
def filter_keeps_order_and_truthiness():
    return [filter_items(lambda x: x % 2, [1, 2, 3, 5, 8]), filter_items(lambda x: x, [0, "", "a", None, [1]])]


@case(expect=[0, 2])
def length_of_empty_and_nested():
    return [length([]), length([[1, 2], [3]])]


@case(expect=[[[3], [1, 2]], [[1, 2], [3]], []])
def reverse_does_not_mutate_and_keeps_nested():
    xs = [[1, 2], [3]]
    return [reverse(xs), xs, reverse([])]


@case(expect=[4, "abc"])
def foldl_order_is_left_to_right():
    return [foldl(lambda acc, x: acc - x, [1, 2, 3], 10), foldl(lambda acc, x: acc + x, ["b", "c"], "a")]


@case(expect=[2, "abz"])
def foldr_order_is_right_to_left():
    return [foldr(lambda x, acc: x - acc, [1, 2, 3], 0), foldr(lambda x, acc: x + acc, ["a", "b"], "z")]


@case(expect=[2, 4, 6])
def foldr_builds_list_in_order():
    return foldr(lambda x, acc: append([x * 2], acc), [1, 2, 3], [])


@case(expect=["init", "init"])
def folds_of_empty_return_initial():
    return [foldl(lambda a, x: 1 / 0, [], "init"), foldr(lambda x, a: 1 / 0, [], "init")]


@case(expect=[])
def map_empty():
    return map_items(str, [])


@case(check="source_avoids_forbidden_builtins_and_imports")
def source_avoids_forbidden_builtins_and_imports():
    # Which file the module was imported from; the source itself is read by the harness, not here.
    return os.path.relpath(list_ops.__file__)
