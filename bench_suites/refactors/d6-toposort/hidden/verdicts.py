"""Host-side checks for d6-toposort (never copied into the sandbox): properties a literal cannot state."""


def _larger_graph():
    # the same graph the case output_is_a_valid_order_for_a_larger_graph builds in the sandbox
    return {f"n{i:02d}": [f"n{j:02d}" for j in range(i) if (i * j) % 7 == 3] for i in range(30)}


def valid_order_for_larger_graph(order):
    """Any valid topological order: every node exactly once, each dependency before its dependant."""
    g = _larger_graph()
    if not isinstance(order, (list, tuple)) or not all(isinstance(n, str) for n in order):
        return f"expected a list of node names, got {order!r:.200}"
    if sorted(order) != sorted(g):
        return f"not every node exactly once: {order!r:.300}"
    pos = {n: i for i, n in enumerate(order)}
    for n, deps in g.items():
        for d in deps:
            if pos[d] >= pos[n]:
                return f"dependency {d} must come before {n}, got positions {pos[d]} and {pos[n]}"
    return True
