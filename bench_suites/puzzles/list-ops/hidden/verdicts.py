"""Host-side checks for list-ops (run by the harness, never in the sandbox)."""

import ast

FORBIDDEN = {"len", "map", "filter", "reversed", "sorted", "sum"}
MODULE = "list_ops.py"


def source_avoids_forbidden_builtins_and_imports(observed, files):
    """The imported module is the candidate's list_ops.py, and its source calls no banned built-in and imports
    nothing (read with ``ast`` here, from the candidate's files as text)."""
    if observed != MODULE:
        return f"list_ops was imported from {observed!r}, not from {MODULE}"
    source = files.get(MODULE)
    if source is None:
        return f"{MODULE} is missing or not readable as text"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"{MODULE} does not parse: {exc.msg} (line {exc.lineno})"
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return f"imports are not allowed (line {node.lineno})"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN:
            return f"uses built-in {node.func.id}() (line {node.lineno})"
    return True
