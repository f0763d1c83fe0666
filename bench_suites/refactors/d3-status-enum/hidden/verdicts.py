"""Host-side checks for d3-status-enum. The source check parses the candidate's files with ``ast`` here, in
the harness (nothing of the candidate runs in this process)."""

import ast


def enum_and_str_subclass(observed):
    """issubclass(OrderStatus, enum.Enum) and issubclass(OrderStatus, str), read from its MRO as data."""
    if not isinstance(observed, list) or not all(isinstance(c, list) and len(c) == 2 for c in observed):
        return f"expected OrderStatus's MRO as [module, name] pairs, got {observed!r}"[:300]
    mro = [tuple(c) for c in observed]
    if ("enum", "Enum") not in mro:
        return f"OrderStatus is not an enum.Enum subclass (MRO: {mro})"
    if ("builtins", "str") not in mro:
        return f"OrderStatus is not a str subclass (MRO: {mro})"
    return True


def no_status_names_in_source(observed, files):
    for rel in ("orders/status.py", "orders/order.py"):
        source = files.get(rel)
        if source is None:
            return f"{rel} is missing"
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            return f"{rel} does not parse: {exc.msg} (line {exc.lineno})"
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        leftovers = sorted(n for n in names if n.startswith("STATUS_"))
        if leftovers:
            return f"{rel} still refers to {', '.join(leftovers)}"
    return True
