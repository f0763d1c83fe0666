"""Host-side checks for d3-split-helpers. The structural ones parse the candidate's files with ``ast`` here,
in the harness (nothing of the candidate runs in this process)."""

import ast

HOMES = {
    "toolbox.text": ["slugify", "truncate"],
    "toolbox.numbers": ["clamp", "percent"],
    "toolbox.dates": ["parse_date", "business_days_between"],
}


def _path(module_name):
    return module_name.replace(".", "/") + ".py"


def _parse(files, module_name):
    """(tree, None) or (None, why)."""
    path = _path(module_name)
    source = files.get(path)
    if source is None:
        return None, f"{path} is missing"
    try:
        return ast.parse(source), None
    except SyntaxError as exc:
        return None, f"{path} does not parse: {exc.msg} (line {exc.lineno})"


def each_def_is_in_its_new_module(observed, files):
    """The task asks for each function's `def` in its new module (the runtime __module__ is another case)."""
    for module_name, names in HOMES.items():
        tree, why = _parse(files, module_name)
        if why:
            return why
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        missing = [n for n in names if n not in defined]
        if missing:
            return f"{_path(module_name)} has no def of {', '.join(missing)}"
    return True


def facade_defines_nothing(observed, files):
    tree, why = _parse(files, "toolbox.helpers")
    if why:
        return why
    defined = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return True if defined == [] else f"toolbox/helpers.py still defines {', '.join(defined)}"


def new_modules_do_not_import_the_facade(observed, files):
    for module_name in HOMES:
        tree, why = _parse(files, module_name)
        if why:
            return why
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "toolbox.helpers":
                return f"{_path(module_name)} imports from toolbox.helpers"
            if isinstance(node, ast.Import) and any(a.name == "toolbox.helpers" for a in node.names):
                return f"{_path(module_name)} imports toolbox.helpers"
    return True


def modules_hold_only_their_own_group(observed):
    if not isinstance(observed, dict) or set(observed) != set(HOMES):
        return f"expected the namespaces of {sorted(HOMES)}, got {observed!r}"[:300]
    for module_name, keys in observed.items():
        if not isinstance(keys, list):
            return f"{module_name}: namespace not observed ({keys!r})"
        others = {n for m, ns in HOMES.items() if m != module_name for n in ns}
        leaked = sorted(others & {k for k in keys if type(k) is str})
        if leaked:
            return f"{module_name} exposes {', '.join(leaked)} from another group"
    return True
