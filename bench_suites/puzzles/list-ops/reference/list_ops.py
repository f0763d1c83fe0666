"""List operations written without the corresponding built-ins."""


def append(a, b):
    """Items of `a` followed by items of `b`."""
    out = []
    for x in a:
        out.append(x)
    for x in b:
        out.append(x)
    return out


def concat(lists):
    """All items of all lists, flattened by one level."""
    out = []
    for part in lists:
        out = append(out, part)
    return out


def filter_items(pred, xs):
    """Items for which pred(item) is truthy."""
    out = []
    for x in xs:
        if pred(x):
            out.append(x)
    return out


def map_items(fn, xs):
    """fn applied to every item."""
    out = []
    for x in xs:
        out.append(fn(x))
    return out


def length(xs):
    """Number of items."""
    n = 0
    for _ in xs:
        n += 1
    return n


def reverse(xs):
    """Items in reverse order."""
    out = []
    i = length(xs) - 1
    while i >= 0:
        out.append(xs[i])
        i -= 1
    return out


def foldl(fn, xs, initial):
    """Fold from the left: fn(acc, item)."""
    acc = initial
    for x in xs:
        acc = fn(acc, x)
    return acc


def foldr(fn, xs, initial):
    """Fold from the right: fn(item, acc)."""
    acc = initial
    for x in reverse(xs):
        acc = fn(x, acc)
    return acc
