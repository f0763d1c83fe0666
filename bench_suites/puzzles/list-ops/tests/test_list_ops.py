from list_ops import append, foldl, length, map_items, reverse


def test_append():
    assert append([1, 2], [3]) == [1, 2, 3]


def test_length_and_reverse():
    assert length([5, 6, 7]) == 3
    assert reverse([1, 2, 3]) == [3, 2, 1]


def test_map_and_foldl():
    assert map_items(lambda x: x * 10, [1, 2]) == [10, 20]
    assert foldl(lambda acc, x: acc + x, [1, 2, 3], 0) == 6
