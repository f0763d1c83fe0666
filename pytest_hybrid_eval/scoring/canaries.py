"""Canary tests: tests with a known bad outcome, planted in the scoring tree per run.

Where a task's tests must run in the candidate's process (a real repository's own suite), the report
could be forged from inside. Two kinds of canaries make a forgery show:

- **Mutants** (the main kind): each collected test module gets clones of its own tests appended to it (same
  module, same imports, same fixtures and marks, names derived from the real ones plus a random suffix) in
  which every constant of an asserted equality's *expected* side (``assert f(5) == 26`` → ``assert f(5) ==
  731944020811``) is replaced by a fresh unguessable value, with ``ast``. A faithful run fails every mutant.
  A forgery that makes the real tests pass without solving the task makes their mutants pass too unless it
  can tell the two apart: rewriting or cutting the failures of the tests "that use the candidate's module",
  removing asserts from the modules that import it, returning an object whose ``__eq__`` is always true, or
  reading the expected constant from the caller's bytecode. Only a test where a mutation was actually made
  is a canary; a module that cannot be parsed or has nothing to mutate simply has no mutant. A mutant may
  come back failed, errored or skipped (a skip gains a forger nothing: a skipped real test is not a pass);
  passed, or missing, makes the cell ``forged``.
- **Fixed canaries**: one extra module per test directory with a test that raises (must fail), one whose
  fixture raises (must error) and one asserting two unguessable unequal values (must fail). They never
  import the candidate's code, so they catch only forgeries that touch every test, but they also make
  every faithful run exit 1 (the exit-status layer).

Mutation is deliberately conservative, so that no honest solution can make a mutant pass: only ``assert a
== b`` statements directly in the body of a plain (non-async) test function without ``return``/``yield``
(so the assert is reached unless something before it raises), only operands that are pure data (literals,
containers of literals, constructor calls like ``Money(500, "EUR")`` whose arguments are literals — never
``len``/``bool``/``min``…, which could map a fresh value back onto the honest result) facing an operand
that is not, only decorators from ``pytest.mark``, and test classes without bases (a class is cloned with
its mutated tests and every non-test member).

In-process canaries raise the bar; they are not a wall: a candidate that reads the test files (or its
caller's frame) can tell a clone from its original. Checks that compare values belong to the ``cases``
scorer, where nothing of the candidate's runs next to the expected values.
"""

from __future__ import annotations

import ast
import copy
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pytest_hybrid_eval.scoring.junit import Outcome, Report, junit_key

_TEMPLATE = '''import pytest


@pytest.fixture
def {fixture}():
    raise LookupError({code_a})


def test_{fail}():
    raise AssertionError({code_b})


def test_{error}({fixture}):
    pass


def test_{value}():
    observed = {value_a}
    assert observed == {value_b}
'''


@dataclass(frozen=True)
class Canaries:
    files: tuple[str, ...]
    expected: dict[str, Outcome]  # fixed canaries: node id -> the outcome a faithful report shows
    #: mutants: junit (classname, test name without parameters) -> node id of the mutant (parameters left off)
    mutants: dict[tuple[str, str], str] = field(default_factory=dict)

    def is_canary(self, key: tuple[str, str]) -> bool:
        if key in self._fixed_keys():
            return True
        cls, name = key
        return (cls, name.partition("[")[0]) in self.mutants

    def _fixed_keys(self) -> set[tuple[str, str]]:
        return {junit_key(n) for n in self.expected}

    def verdict(self, report: Report) -> str | None:
        """None when every canary shows an acceptable outcome; else which one does not, and how."""
        for nodeid, want in self.expected.items():
            got = report.kinds.get(junit_key(nodeid))
            if got is None:
                return f"canary {nodeid} is missing from the report"
            if got != want:
                return f"canary {nodeid} was reported {got} (it must be {want})"
        seen: dict[tuple[str, str], list[Outcome]] = {}
        for (cls, name), kind in report.kinds.items():
            base = (cls, name.partition("[")[0])
            if base in self.mutants:
                seen.setdefault(base, []).append(kind)
        for key, nodeid in self.mutants.items():
            kinds = seen.get(key)
            if not kinds:
                return f"canary {nodeid} (a mutant of a real test) is missing from the report"
            if "passed" in kinds:
                return (f"canary {nodeid} was reported passed: it is a real test with its asserted values replaced "
                        "by unguessable ones, so it must fail")  # fmt: skip
        return None


def _word() -> str:
    return secrets.token_hex(5)


def _fixed(tree: Path, top: str, files: list[str], expected: dict[str, Outcome]) -> None:
    names = {k: f"{_word()}" for k in ("module", "fixture", "fail", "error", "value")}
    value_a = secrets.randbelow(10**12)
    value_b = value_a + 1 + secrets.randbelow(10**6)
    rel = f"{top}/test_{names['module']}.py"
    source = _TEMPLATE.format(fixture=f"res_{names['fixture']}", fail=names["fail"], error=names["error"],
                              value=names["value"], code_a=secrets.randbelow(10**9),
                              code_b=secrets.randbelow(10**9), value_a=value_a, value_b=value_b)  # fmt: skip
    (tree / rel).write_text(source, encoding="utf-8")
    files.append(rel)
    expected[f"{rel}::test_{names['fail']}"] = "failed"
    expected[f"{rel}::test_{names['error']}"] = "error"
    expected[f"{rel}::test_{names['value']}"] = "failed"


# -- mutants ------------------------------------------------------------------------------------------------


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := _dotted(node.value)) is not None:
        return f"{base}.{node.attr}"
    return None


#: lowercase callables that keep what their arguments say (unlike ``len``, ``bool``, ``type``, ``min``…)
_PLAIN_CONSTRUCTORS = frozenset({"str", "int", "float", "bytes", "list", "tuple", "set", "frozenset", "dict"})


def _constructor(func: ast.expr) -> bool:
    """A class-like callable (``Money``, ``decimal.Decimal``) or a plain builtin constructor."""
    name = _dotted(func)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    return last[:1].isupper() or name in _PLAIN_CONSTRUCTORS


def _is_data(node: ast.expr, calls: bool = True) -> bool:
    """Literals, containers of them, and (with ``calls``) calls of a named callable on such data."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_data(e, calls) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_data(k, calls) for k in node.keys) and all(_is_data(v, calls) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_data(node.operand, calls)
    if calls and isinstance(node, ast.Call) and _constructor(node.func):
        return all(not isinstance(a, ast.Starred) and _is_data(a) for a in node.args) and all(
            kw.arg is not None and _is_data(kw.value) for kw in node.keywords)  # fmt: skip
    return False


_NUMBERS = (int, float)
_TEXT = (str, bytes)


def _kinds(nodes: list[ast.expr]) -> tuple[type, ...]:
    """Numbers when the expected side has any (``Money(500, "EUR")`` keeps its valid currency, so the mutant
    still reaches the comparison), else strings and bytes."""
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, _NUMBERS) and not isinstance(sub.value, bool):
                return _NUMBERS
    return _TEXT


class _Replace(ast.NodeTransformer):
    """Every constant of ``kinds`` (never a bool) becomes a fresh unguessable value of the same type."""

    def __init__(self, kinds: tuple[type, ...]) -> None:
        self.count = 0
        self.kinds = kinds

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, self.kinds):
            return node
        if isinstance(value, int):
            new: object = 10**11 + secrets.randbelow(9 * 10**11)
        elif isinstance(value, float):
            new = (10**9 + secrets.randbelow(10**12)) / 977.0
        elif isinstance(value, str):
            new = secrets.token_hex(16 + secrets.randbelow(8))
        else:
            new = secrets.token_bytes(16 + secrets.randbelow(8))
        if new == value:
            return node
        self.count += 1
        return ast.copy_location(ast.Constant(new), node)


def _mutate_assert(stmt: ast.Assert) -> bool:
    """Mutate ``stmt`` in place; True if a constant of an expected (pure data) operand was replaced."""
    test = stmt.test
    if not (isinstance(test, ast.Compare) and all(isinstance(op, ast.Eq) for op in test.ops)):
        return False
    operands = [test.left, *test.comparators]
    # the side(s) computed by the code under test: not literals (calls count as computed there)
    computed = [i for i, o in enumerate(operands) if not _is_data(o, calls=False)]
    if not computed:
        return False
    expected_sides = [i for i, o in enumerate(operands) if _is_data(o, calls=(i != 0))]
    if len(expected_sides) == len(operands):  # `assert 26 == f(5)`: the literal on the left is the expectation
        expected_sides = [0] if _is_data(operands[0], calls=False) else []
    if not expected_sides:
        return False
    replacer = _Replace(_kinds([operands[i] for i in expected_sides]))
    for i in expected_sides:
        operands[i] = replacer.visit(operands[i])
    test.left, test.comparators = operands[0], operands[1:]
    return replacer.count > 0


def _has_exit(fn: ast.FunctionDef) -> bool:
    return any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(fn))


def _marks_only(decorators: list[ast.expr]) -> bool:
    for dec in decorators:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = _dotted(target) or ""
        if not (name.startswith("pytest.mark.") or name.startswith("mark.")):
            return False
    return True


def _mutant_function(fn: ast.FunctionDef) -> ast.FunctionDef | None:
    if _has_exit(fn) or not _marks_only(fn.decorator_list):
        return None
    clone = copy.deepcopy(fn)
    mutated = sum(_mutate_assert(stmt) for stmt in clone.body if isinstance(stmt, ast.Assert))
    return clone if mutated else None


def _last_defs(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    defs: dict[str, ast.stmt] = {}
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt
    return defs


def _collected(expected: list[str] | None, rel: str) -> tuple[set[str], dict[str, set[str]]] | None:
    """(module-level test names, class -> method names) collected in ``rel``; None = no list, take test*."""
    if expected is None:
        return None
    funcs: set[str] = set()
    classes: dict[str, set[str]] = {}
    for nodeid in expected:
        path, _, rest = nodeid.partition("::")
        if path != rel or not rest:
            continue
        parts = rest.partition("[")[0].split("::")
        if len(parts) == 1:
            funcs.add(parts[0])
        elif len(parts) == 2:
            classes.setdefault(parts[0], set()).add(parts[1])
    return funcs, classes


def mutate_module(source: str, rel: str, expected: list[str] | None) -> tuple[str, list[tuple[str | None, str]]] | None:
    """``source`` with mutants appended, and their (class, test) names; None when there is nothing to mutate."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    collected = _collected(expected, rel)
    added: list[ast.stmt] = []
    names: list[tuple[str | None, str]] = []
    for name, node in _last_defs(module.body).items():
        if isinstance(node, ast.FunctionDef):
            if not (name in collected[0] if collected is not None else name.startswith("test")):
                continue
            if (clone := _mutant_function(node)) is not None:
                clone.name = f"{name}_{secrets.token_hex(3)}"
                added.append(clone)
                names.append((None, clone.name))
        elif isinstance(node, ast.ClassDef):
            methods = collected[1].get(name, set()) if collected is not None else None
            if methods == set() or not _marks_only(node.decorator_list) or node.keywords:
                continue
            if any(not (isinstance(b, ast.Name) and b.id == "object") for b in node.bases):
                continue
            clone_cls = copy.deepcopy(node)
            body: list[ast.stmt] = []
            mutated: list[str] = []
            for stmt in clone_cls.body:
                is_test = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    stmt.name in methods if methods is not None else stmt.name.startswith("test"))  # fmt: skip
                if not is_test:
                    body.append(stmt)
                elif isinstance(stmt, ast.FunctionDef) and (m := _mutant_function(stmt)) is not None:
                    body.append(m)
                    mutated.append(stmt.name)
            if not mutated:
                continue
            clone_cls.body = body
            clone_cls.name = f"{name}_{secrets.token_hex(3)}"
            added.append(clone_cls)
            names += [(clone_cls.name, m) for m in mutated]
    if not added:
        return None
    text = source.rstrip("\n") + "\n\n\n" + ast.unparse(ast.Module(body=added, type_ignores=[])) + "\n"
    try:
        compile(text, rel, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return text, names


def plant(tree: Path, test_dirs: list[str], expected: list[str] | None = None) -> Canaries:
    """Append mutants to the collected test modules under ``test_dirs`` and add one fixed canary module to each.

    ``expected`` is the list of node ids collected with the reference solution (which modules and tests
    pytest collects); without it every ``test*.py`` module and ``test*`` function is considered.
    """
    files: list[str] = []
    fixed: dict[str, Outcome] = {}
    mutants: dict[tuple[str, str], str] = {}
    modules = sorted({n.partition("::")[0] for n in expected}) if expected is not None else sorted(
        p.relative_to(tree).as_posix() for top in test_dirs for p in (tree / top).rglob("test*.py"))  # fmt: skip
    for rel in modules:
        path = tree / rel
        if not rel.endswith(".py") or rel.split("/")[0] not in test_dirs or not path.is_file() or path.is_symlink():
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if (done := mutate_module(source, rel, expected)) is None:
            continue
        text, names = done
        path.write_text(text, encoding="utf-8")
        files.append(rel)
        for cls, name in names:
            nodeid = f"{rel}::{cls}::{name}" if cls else f"{rel}::{name}"
            mutants[junit_key(nodeid)] = nodeid
    for top in test_dirs:
        _fixed(tree, top, files, fixed)
    return Canaries(tuple(files), fixed, mutants)
