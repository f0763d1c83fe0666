"""Host-side structural check for d3-transaction-context: it parses the candidate's bank/ops.py with ``ast``
here, in the harness (nothing of the candidate runs in this process)."""

import ast


def ops_use_the_context_manager(observed, files):
    source = files.get("bank/ops.py")
    if source is None:
        return "bank/ops.py is missing"
    try:
        ops = ast.parse(source)
    except SyntaxError as exc:
        return f"bank/ops.py does not parse: {exc.msg} (line {exc.lineno})"
    if [n for n in ast.walk(ops) if isinstance(n, ast.Try)]:
        return "bank/ops.py still has try statements"
    for fn in (n for n in ops.body if isinstance(n, ast.FunctionDef)):
        withs = [n for n in ast.walk(fn) if isinstance(n, ast.With)]
        if not withs:
            return f"{fn.name} has no with statement"
        call = withs[0].items[0].context_expr
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "transaction"):
            return f"{fn.name}: its first with statement is not `with transaction(...)`"
        calls = {getattr(n.func, "attr", None) for n in ast.walk(fn) if isinstance(n, ast.Call)}
        if calls & {"begin", "commit", "rollback"}:
            return f"{fn.name} still calls {', '.join(sorted(calls & {'begin', 'commit', 'rollback'}))} itself"
    return True
