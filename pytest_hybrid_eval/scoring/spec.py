"""Reading a task's ``hidden/cases.py`` without running it: the cases, their expectations, a stripped copy.

The file is Python so that a case can build objects, call methods in sequence, start threads or run a
CLI; the expectations are plain literals in the ``@case(...)`` decorator. The harness parses the file
(``ast``; nothing of it is executed here), keeps the expectations, and writes for the sandbox a copy in
which every ``@case(...)`` keeps only its ``timeout``. Expected values therefore never enter the
candidate's process. The literal language is small on purpose:

- Python literals (numbers, strings, bytes, None/True/False, lists, tuples, dicts, sets), ``-x``, and
  arithmetic between numbers (``10**9``, ``2.5 * 3``);
- ``raised("ValueError", "regex")``: the case (or an ``attempt`` inside it) raised an exception of that
  class or a subclass, whose message matches the regex (``re.search``; omit it to accept any message);
- ``approx(x, rel=1e-9, abs=0.0)``: a number close to ``x``;
- ``member("OrderStatus.PAID")``: an enum member of that class and name;
- ``Decimal("1.10")``, ``frozenset([...])``, ``set()``, ``float("inf")``.

``check="name"`` instead of ``expect=`` hands the observation to ``name(observed)`` in
``hidden/verdicts.py``, a host-side module (it never enters the sandbox) for properties a literal cannot
state (uniqueness, a format, a relation between two runs). It returns True/None to pass, or False or a
reason to fail. A check that takes a second parameter also gets ``files``: the candidate's tree as text
(path -> content), for structural checks made by reading source, never by running it.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pytest_hybrid_eval.errors import TaskError

CASES_FILE = "cases.py"
VERDICTS_FILE = "verdicts.py"


@dataclass(frozen=True)
class RaisedMatcher:
    name: str
    pattern: str | None = None


@dataclass(frozen=True)
class Approx:
    value: float
    rel: float = 1e-9
    abs: float = 0.0


@dataclass(frozen=True)
class Member:
    qualname: str


@dataclass(frozen=True)
class CaseSpec:
    name: str
    line: int
    expect: object = None
    check: str | None = None


@dataclass(frozen=True)
class CasesFile:
    cases: tuple[CaseSpec, ...]
    stripped_source: str


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}  # fmt: skip


class _Literal:
    """A tiny evaluator for the expectation language above (``ast.literal_eval`` plus the helpers)."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, node: ast.AST, what: str) -> TaskError:
        return TaskError(f"{self.where}:{getattr(node, 'lineno', '?')}: {what}; expectations must be literals "
                         "(see the 'adding a task' section of the README)")

    def __call__(self, node: ast.AST) -> object:
        ev = self
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List):
            return [ev(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(ev(e) for e in node.elts)
        if isinstance(node, ast.Set):
            return {ev(e) for e in node.elts}
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise self.fail(node, "'**' is not allowed in an expected dict")
            return {ev(k): ev(v) for k, v in zip(node.keys, node.values, strict=True)}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = ev(node.operand)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise self.fail(node, "unary +/- applies to numbers only")
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(left, (str, list, tuple)) and type(node.op) in (ast.Add, ast.Mult) and (
                    type(right) is type(left) or (type(right) is int and isinstance(node.op, ast.Mult))):
                if isinstance(right, int) and right > 100_000:
                    raise self.fail(node, "repetition too large")
                return _BINOPS[type(node.op)](left, right)
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
                raise self.fail(node, "arithmetic applies to numbers only")
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node)
        raise self.fail(node, f"{type(node).__name__} is not allowed in an expectation")

    def call(self, node: ast.Call) -> object:
        name = node.func.id  # type: ignore[attr-defined]
        args = [self(a) for a in node.args]
        kwargs = {k.arg: self(k.value) for k in node.keywords if k.arg}
        try:
            if name == "raised":
                return RaisedMatcher(str(args[0]), *(str(a) for a in args[1:2]), **kwargs)
            if name == "approx":
                return Approx(float(args[0]), **{k: float(v) for k, v in kwargs.items()})
            if name == "member":
                return Member(str(args[0]))
            if name == "Decimal":
                return Decimal(str(args[0]))
            if name == "float" and isinstance(args[0], str):
                return float(args[0])
            if name in ("set", "frozenset") and not kwargs:
                return (set if name == "set" else frozenset)(*args)
        except (TypeError, IndexError, ValueError, ArithmeticError) as exc:
            raise self.fail(node, f"bad call {name}(...): {exc}") from None
        raise self.fail(node, f"{name}() is not an expectation helper")


def _case_decorator(fn: ast.FunctionDef) -> ast.Call | None:
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Name) and dec.func.id == "case":
            return dec
    return None


def read_cases(path: Path) -> CasesFile:
    """Parse ``path`` (a task's hidden/cases.py): its cases in file order and the sandbox's stripped copy."""
    where = str(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskError(f"{where}: cannot be read ({exc}); fix the task") from None
    except SyntaxError as exc:
        raise TaskError(f"{where}:{exc.lineno}: syntax error ({exc.msg}); fix the task") from None
    literal = _Literal(where)
    specs: list[CaseSpec] = []
    seen: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or (dec := _case_decorator(node)) is None:
            continue
        if node.name in seen:
            raise TaskError(f"{where}:{node.lineno}: case {node.name!r} is defined twice; rename one")
        seen.add(node.name)
        kw = {k.arg: k.value for k in dec.keywords}
        if dec.args or None in kw or set(kw) - {"expect", "check", "timeout"}:
            raise TaskError(f"{where}:{node.lineno}: @case takes only expect=, check= and timeout=; fix {node.name}")
        if ("expect" in kw) == ("check" in kw):
            raise TaskError(f"{where}:{node.lineno}: case {node.name!r} needs exactly one of expect= or check=")
        check = literal(kw["check"]) if "check" in kw else None
        if check is not None and not (isinstance(check, str) and check.isidentifier()):
            raise TaskError(f"{where}:{node.lineno}: check= must name a function of hidden/{VERDICTS_FILE}")
        if "timeout" in kw:
            timeout = literal(kw["timeout"])
            if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout < math.inf:
                raise TaskError(f"{where}:{node.lineno}: timeout= must be a positive number of seconds")
        specs.append(CaseSpec(node.name, node.lineno, literal(kw["expect"]) if "expect" in kw else None, check))
        dec.keywords = [k for k in dec.keywords if k.arg == "timeout"]
    if not specs:
        raise TaskError(f"{where}: defines no @case functions; add at least one")
    return CasesFile(tuple(specs), ast.unparse(tree) + "\n")
