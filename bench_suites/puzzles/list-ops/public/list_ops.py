"""List operations written without the corresponding built-ins."""


def append(a, b):
    """Items of `a` followed by items of `b`."""
    return []


def concat(lists):
    """All items of all lists, flattened by one level."""
    return []


def filter_items(pred, xs):
    """Items for which pred(item) is truthy."""
    return []


def map_items(fn, xs):
    """fn applied to every item."""
    return []


def length(xs):
    """Number of items."""
    return 0


def reverse(xs):
    """Items in reverse order."""
    return []


def foldl(fn, xs, initial):
    """Fold from the left: fn(acc, item)."""
    return None


def foldr(fn, xs, initial):
    """Fold from the right: fn(item, acc)."""
    return None
