"""The in-sandbox half of the ``cases`` scorer: runs a task's cases against the candidate, reports plain data.

This file is copied into the scoring tree as ``hybrid_cases.py`` and run there, in the sandbox, in the
same process as the candidate's code; it is also imported by the harness for ``encode`` so that expected
values and observations go through one encoding. It therefore imports nothing but the standard library.

Why it cannot forge a verdict: it holds no expected value. The harness strips every ``expect=`` from the
task's ``hidden/cases.py`` before the file reaches the sandbox; this runner only *observes* (the return
value of each case, or the exception it raised) and writes what it saw as JSON. Only exact builtin types
survive the encoding (a ``str`` subclass, an object whose ``__eq__`` is always true, a lazy proxy: each is
recorded as an opaque ``{"__object__": type name}``), so nothing of the candidate's crosses the boundary
but data. Candidate code can of course tamper with this process and write any JSON it likes; to pass it
would have to write the right observations, which is solving the task.

Protocol: ``python -I -B hybrid_cases.py <cases file> <out file> <case timeout s>``; the out file gets one
JSON object per line, ``{"case": name, "obs": <encoded>}`` or ``{"case": name, "error": text}``, then a
final ``{"done": n}``. A case missing from the file (the process died, timed out or was killed) fails.
"""

from __future__ import annotations

import builtins
import decimal
import enum
import fractions
import importlib.util
import json
import math
import os
import signal
import sys
import traceback

_CASES: list[tuple[str, object, float | None]] = []
MAX_DEPTH = 40
MAX_ITEMS = 200_000
_builtin_exceptions = {name for name, obj in vars(builtins).items()
                       if isinstance(obj, type) and issubclass(obj, BaseException)}


class Raised:
    """What ``attempt`` returns when the call raised: the exception as data (class names and message)."""

    __slots__ = ("names", "message")

    def __init__(self, names: list[str], message: str) -> None:
        self.names = names
        self.message = message


def _exception_names(exc: BaseException) -> list[str]:
    """Every class name in the exception's MRO, so ``raised("TemplateError")`` matches a subclass as
    ``pytest.raises`` would; a class that only *calls* itself like a builtin (``ValueError`` without deriving
    from it) is recorded as ``<not builtins.ValueError>``, so it cannot pass for the real one."""
    names = []
    for c in type(exc).__mro__:
        name = str(c.__name__)
        if c is object:
            continue
        if name in _builtin_exceptions and getattr(builtins, name) is not c:
            names.append(f"<not builtins.{name}>")
        else:
            names.append(name)
    return names


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a candidate's __str__ may raise anything
        return "<unprintable>"
    return text if type(text) is str else "<unprintable>"


def _as_raised(exc: BaseException) -> Raised:
    return Raised(_exception_names(exc), _message(exc)[:4000])


def raised(name: str, pattern: str | None = None) -> tuple:
    """Expectation helper, importable so the cases file reads (and lints) cleanly; the harness evaluates it."""
    return ("raised", name, pattern)


def approx(value: float, rel: float = 1e-9, abs: float = 0.0) -> tuple:  # noqa: A002 - mirrors pytest.approx
    """Expectation helper (see ``raised``)."""
    return ("approx", value, rel, abs)


def member(qualname: str) -> tuple:
    """Expectation helper (see ``raised``)."""
    return ("member", qualname)


def attempt(fn, *args, **kwargs):
    """Call ``fn``; its value, or the exception it raised as a ``Raised`` (for call sequences in one case)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - an expected exception is an observation
        return _as_raised(exc)


def case(*, timeout: float | None = None, **_stripped):
    """Register a case; the harness removed its ``expect``/``check`` before this file reached the sandbox."""

    def register(fn):
        _CASES.append((fn.__name__, fn, timeout))
        return fn

    return register


def encode(value, _depth: int = 0, _budget: list[int] | None = None):
    """Plain JSON for exact builtin types; anything else becomes an opaque, unequal-to-everything marker."""
    budget = _budget if _budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or _depth > MAX_DEPTH:
        raise ValueError("observation too large or too deep")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if -(2**53) < value < 2**53 else {"__int__": str(value)}
    if t is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}

    def sub(v):
        return encode(v, _depth + 1, budget)

    if t is list:
        return [sub(v) for v in value]
    if t is tuple:
        return {"__tuple__": [sub(v) for v in value]}
    if t is dict:
        return {"__dict__": [[sub(k), sub(v)] for k, v in value.items()]}
    if t is set or t is frozenset:
        items = [sub(v) for v in value]
        return {"__" + t.__name__ + "__": sorted(items, key=lambda x: json.dumps(x, sort_keys=True))}
    if t is bytes or t is bytearray:
        return {"__bytes__": bytes(value).hex()}
    if t is decimal.Decimal:
        return {"__decimal__": str(value)}
    if t is fractions.Fraction:
        return {"__fraction__": [value.numerator, value.denominator]}
    if t is Raised:
        return {"__raised__": list(value.names), "message": value.message}
    if isinstance(value, enum.Enum):
        return {"__enum__": f"{t.__name__}.{value.name}", "value": sub(value.value)}
    if isinstance(value, BaseException):
        return {"__exception__": _exception_names(value), "message": _message(value)[:4000]}
    return {"__object__": str(t.__qualname__)}


def _load(path: str):
    spec = importlib.util.spec_from_file_location("hidden_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["hidden_cases"] = module
    spec.loader.exec_module(module)
    return module


class _CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that ``except Exception`` in candidate code lets it through."""


def _on_alarm(signum, frame):
    raise _CaseTimeout()


def main(argv: list[str]) -> int:
    cases_file, out_file, timeout_s = argv[1], argv[2], float(argv[3])
    sys.path.insert(1, os.getcwd())  # the candidate's modules live at the tree's root
    out = open(out_file, "w", encoding="utf-8")  # noqa: SIM115 - kept open for the whole run

    def emit(record: dict) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    try:
        _load(cases_file)
    except BaseException:  # noqa: BLE001 - the candidate's module failed to import: every case fails
        emit({"import_error": traceback.format_exc(limit=3)[-2000:]})
        out.close()
        os._exit(0)
    signal.signal(signal.SIGALRM, _on_alarm)
    for name, fn, own_timeout in list(_CASES):
        signal.setitimer(signal.ITIMER_REAL, own_timeout or timeout_s)
        try:
            record = {"case": name, "obs": encode(fn())}
        except _CaseTimeout:
            record = {"case": name, "error": f"timed out after {own_timeout or timeout_s:g}s"}
        except BaseException as exc:  # noqa: BLE001 - a case that raised is observed as the exception
            try:
                record = {"case": name, "obs": encode(_as_raised(exc))}
            except BaseException:  # noqa: BLE001
                record = {"case": name, "error": "the raised exception could not be recorded"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            emit(record)
        except (TypeError, ValueError):
            emit({"case": name, "error": "observation could not be encoded"})
    emit({"done": len(_CASES)})
    out.close()
    os._exit(0)  # leftover candidate threads must not keep the process (or the verdict) waiting


if __name__ == "__main__":
    sys.modules["hybrid_cases"] = sys.modules[__name__]  # the cases file imports this module by name
    sys.exit(main(sys.argv))
