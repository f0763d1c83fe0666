"""Comparing an expectation with an observation, in the harness's process, on plain data only.

Observations arrive as the JSON that ``casekit.encode`` wrote in the sandbox; expectations are the
literals of ``spec``. Equality is by type family (numbers with numbers, ``bool`` apart from ``int``, a
tuple is not a list), the way the original assertions read, but never through an object of the
candidate's: there is none on this side.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pytest_hybrid_eval.scoring import casekit
from pytest_hybrid_eval.scoring.spec import Approx, Member, RaisedMatcher

_TAGGED_SETS = ("__set__", "__frozenset__")


@dataclass(frozen=True)
class Observed:
    """A non-plain observation handed to a ``check`` function: an exception or an opaque object."""

    kind: str  # "raised", "exception", "enum", "object"
    names: tuple[str, ...] = ()
    message: str = ""
    value: object = None


def _short(value: object, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(obs: object) -> float | int | None:
    if isinstance(obs, bool) or obs is None:
        return None
    if isinstance(obs, (int, float)):
        return obs
    if isinstance(obs, dict) and len(obs) == 1:  # the candidate's data: anything malformed is "not a number"
        try:
            if "__int__" in obs and isinstance(obs["__int__"], str):
                return int(obs["__int__"])
            if "__float__" in obs and isinstance(obs["__float__"], str):
                return float(obs["__float__"])
        except (ValueError, OverflowError):
            return None
    return None


def _key(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def mismatch(expected: object, obs: object, path: str = "") -> str | None:
    """None when ``obs`` satisfies ``expected``; else a short description of the first difference."""
    at = f" at {path}" if path else ""
    if isinstance(expected, RaisedMatcher):
        if not (isinstance(obs, dict) and "__raised__" in obs):
            return f"expected {expected.name} to be raised{at}, got {_short(obs)}"
        names, message = obs.get("__raised__") or [], str(obs.get("message", ""))
        if expected.name not in names:
            return f"expected {expected.name}{at}, got {names[0] if names else '?'}: {message[:100]!r}"
        if expected.pattern is not None and not re.search(expected.pattern, message):
            return f"{expected.name} message{at} {message[:100]!r} does not match {expected.pattern!r}"
        return None
    if isinstance(expected, Approx):
        got = _number(obs)
        if got is None or not math.isclose(got, expected.value, rel_tol=expected.rel, abs_tol=expected.abs):
            return f"expected approximately {expected.value!r}{at}, got {_short(obs)}"
        return None
    if isinstance(expected, Member):
        if not (isinstance(obs, dict) and obs.get("__enum__") == expected.qualname):
            return f"expected enum member {expected.qualname}{at}, got {_short(obs)}"
        return None
    if isinstance(expected, Decimal):
        try:
            ok = isinstance(obs, dict) and "__decimal__" in obs and Decimal(obs["__decimal__"]) == expected
        except InvalidOperation:
            ok = False
        return None if ok else f"expected Decimal({str(expected)!r}){at}, got {_short(obs)}"
    if expected is None or isinstance(expected, (bool, str)):
        if type(obs) is type(expected) and obs == expected:
            return None
        return f"expected {_short(expected)}{at}, got {_short(obs)}"
    if isinstance(expected, (int, float)):
        got = _number(obs)
        if got is not None and (got == expected or (isinstance(expected, float) and math.isnan(expected)
                                                    and isinstance(got, float) and math.isnan(got))):
            return None
        return f"expected {expected!r}{at}, got {_short(obs)}"
    if isinstance(expected, list):
        if not isinstance(obs, list):
            return f"expected a list{at}, got {_short(obs)}"
        return _sequence(expected, obs, path)
    if isinstance(expected, tuple):
        if not (isinstance(obs, dict) and isinstance(obs.get("__tuple__"), list)):
            return f"expected a tuple{at}, got {_short(obs)}"
        return _sequence(list(expected), obs["__tuple__"], path)
    if isinstance(expected, dict):
        return _mapping(expected, obs, path)
    if isinstance(expected, (set, frozenset)):
        items = obs.get("__set__", obs.get("__frozenset__")) if isinstance(obs, dict) else None
        if not isinstance(items, list):
            return f"expected a set{at}, got {_short(obs)}"
        want = {_key(casekit.encode(v)) for v in expected}
        got = {_key(v) for v in items}
        if want != got or len(items) != len(got):
            return f"set{at} differs: missing {len(want - got)}, unexpected {len(got - want)}"
        return None
    if isinstance(expected, (bytes, bytearray)):
        if isinstance(obs, dict) and obs.get("__bytes__") == bytes(expected).hex():
            return None
        return f"expected bytes {bytes(expected)[:40]!r}{at}, got {_short(obs)}"
    return f"unsupported expectation type {type(expected).__name__}{at}"


def _sequence(expected: list, obs: list, path: str) -> str | None:
    if len(expected) != len(obs):
        return f"expected {len(expected)} items{' at ' + path if path else ''}, got {len(obs)}"
    for i, (e, o) in enumerate(zip(expected, obs, strict=True)):
        if (why := mismatch(e, o, f"{path}[{i}]")) is not None:
            return why
    return None


def _mapping(expected: dict, obs: object, path: str) -> str | None:
    at = f" at {path}" if path else ""
    pairs = obs.get("__dict__") if isinstance(obs, dict) else None
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        return f"expected a dict{at}, got {_short(obs)}"
    got = {_key(k): v for k, v in pairs}
    if len(got) != len(pairs):
        return f"dict{at} has duplicate keys"
    want = {_key(casekit.encode(k)): (k, v) for k, v in expected.items()}
    if set(want) != set(got):
        missing = [want[k][0] for k in want if k not in got][:3]
        extra = [json.loads(k) for k in got if k not in want][:3]
        return f"dict{at} keys differ: missing {_short(missing)}, unexpected {_short(extra)}"
    for key, (k, v) in want.items():
        if (why := mismatch(v, got[key], f"{path}[{k!r}]")) is not None:
            return why
    return None


def decode(obs: object) -> object:
    """The observation as Python data for a ``check`` function (tuples, sets, bytes, Decimal…)."""
    if isinstance(obs, list):
        return [decode(v) for v in obs]
    if not isinstance(obs, dict):
        return obs
    if "__tuple__" in obs:
        return tuple(decode(v) for v in obs["__tuple__"])
    if "__dict__" in obs:
        return {_hashable(decode(k)): decode(v) for k, v in obs["__dict__"]}
    for tag in _TAGGED_SETS:
        if tag in obs:
            return (set if tag == "__set__" else frozenset)(_hashable(decode(v)) for v in obs[tag])
    if "__bytes__" in obs:
        return bytes.fromhex(obs["__bytes__"])
    if "__decimal__" in obs:
        return Decimal(obs["__decimal__"])
    if "__int__" in obs or "__float__" in obs:
        return _number(obs)
    if "__fraction__" in obs:
        from fractions import Fraction

        return Fraction(*obs["__fraction__"])
    if "__raised__" in obs or "__exception__" in obs:
        kind = "raised" if "__raised__" in obs else "exception"
        return Observed(kind, tuple(obs.get("__" + kind + "__") or ()), str(obs.get("message", "")))
    if "__enum__" in obs:
        return Observed("enum", (str(obs["__enum__"]),), value=decode(obs.get("value")))
    return Observed("object", (str(obs.get("__object__", "?")),))


def _hashable(value: object) -> object:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, set):
        return frozenset(value)
    return value
