"""Host-side structural checks for d3-extract-row-helper: they parse the candidate's reports/exporters.py
with ``ast`` here, in the harness (nothing of the candidate runs in this process)."""

import ast

SOURCE_PATH = "reports/exporters.py"


def _tree(files):
    source = files.get(SOURCE_PATH)
    if source is None:
        return None, None, f"{SOURCE_PATH} is missing"
    try:
        return source, ast.parse(source), None
    except SyntaxError as exc:
        return source, None, f"{SOURCE_PATH} does not parse: {exc.msg} (line {exc.lineno})"


def _function(tree, name):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _called_names(fn):
    out = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                out.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                out.add(node.func.attr)
    return out


def both_exporters_use_the_helper(observed, files):
    _, tree, problem = _tree(files)
    if problem:
        return problem
    for name in ("export_csv", "export_markdown"):
        fn = _function(tree, name)
        if fn is None:
            return f"no top-level function {name}"
        if "normalize_rows" not in _called_names(fn):
            return f"{name} does not call normalize_rows"
    return True


def duplicated_logic_is_gone(observed, files):
    source, tree, problem = _tree(files)
    if problem:
        return problem
    for needle in (":.2f", "isoformat", "sorted("):
        if source.count(needle) != 1:
            return f"{needle!r} appears {source.count(needle)} times in {SOURCE_PATH}, expected exactly once"
    for name in ("export_csv", "export_markdown"):
        fn = _function(tree, name)
        if fn is None:
            return f"no top-level function {name}"
        if any(isinstance(n, ast.For) for n in ast.walk(fn)):
            return f"{name} still loops over rows itself"
    return True
