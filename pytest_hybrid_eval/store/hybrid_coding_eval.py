"""Read the raw.jsonl rows of hybrid-coding-eval, the predecessor project, as rows of the analysis frame.

Its rows come in two kinds. Early: ``category`` A–D and ``route`` R1–R5 (the route is the routing
configuration; no agent, strategy or seed). Later: ``route`` is the agent name, ``router_strategy`` the
strategy, ``seed`` an int. Both carry tokens (optionally split local/cloud), latency, quality and
routing blocks.

Semantics applied: ``functional_pass`` null means "not graded" (kept for cost, left out of pass rates)
unless the row has an error — error rows are failures, never dropped. Cost is not stored: cloud tokens
× scenario price, local tokens free, cached capped at the cloud prompt, and a row without a local/cloud
split counts as all cloud (the conservative reading). The summary on our terms is
``analysis.hybrid_coding_eval_summary``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from pytest_hybrid_eval.store.jsonl import jsonl_lines, line_error

#: ``source_format`` of the frame rows read from each kind (ours are "row")
EARLY = "hybrid-coding-eval-early"
LATE = "hybrid-coding-eval-late"

_EARLY_ROUTE = re.compile(r"^R\d+$")
_SPLIT_KEYS = ("local_prompt", "local_completion", "cloud_prompt", "cloud_completion")


def is_record(obj: dict[str, Any]) -> bool:
    """hybrid-coding-eval rows have a ``quality`` block and a ``route``; ours have ``cell_id`` and ``provenance``."""
    return "quality" in obj and "route" in obj and "cell_id" not in obj


def record_kind(obj: dict[str, Any]) -> str:
    route = str(obj.get("route") or "")
    if obj.get("router_strategy") is None and _EARLY_ROUTE.match(route):
        return EARLY
    return LATE


def _error_class(err: object) -> str:
    if err is None or err == "":
        return "none"
    text = str(err).lower()
    if "timeout" in text or "timed out" in text:
        return "agent_timeout"
    return "agent_error"


def _int(x: object) -> int:
    try:
        return int(x) if x is not None else 0  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _tokens(tok: dict[str, Any]) -> dict[str, int]:
    """Split tokens per tier; no split recorded (or an all-zero split with traffic) means all cloud."""
    prompt, completion = _int(tok.get("prompt")), _int(tok.get("completion"))
    cached, reasoning = _int(tok.get("cached")), _int(tok.get("reasoning"))
    has_split = all(k in tok and tok[k] is not None for k in _SPLIT_KEYS)
    split = {k: _int(tok.get(k)) for k in _SPLIT_KEYS}
    if not has_split or (sum(split.values()) == 0 and prompt + completion > 0):
        split = {
            "local_prompt": 0,
            "local_completion": 0,
            "cloud_prompt": prompt,
            "cloud_completion": completion,
        }
    cloud_has = split["cloud_prompt"] + split["cloud_completion"] > 0
    out = {
        "local_prompt": split["local_prompt"],
        "local_completion": split["local_completion"],
        "local_cached": 0,
        "local_reasoning": 0 if cloud_has else reasoning,
        "cloud_prompt": split["cloud_prompt"],
        "cloud_completion": split["cloud_completion"],
        "cloud_cached": min(cached, split["cloud_prompt"]),
        "cloud_reasoning": reasoning if cloud_has else 0,
    }
    for k in ("prompt", "completion", "cached", "reasoning"):
        out[f"aux_{k}"] = 0
        if k != "reasoning":
            out[f"auxcloud_{k}"] = 0
    return out


def records_to_dicts(records: list[dict[str, Any]], sweep: str) -> list[dict[str, Any]]:
    """Convert hybrid-coding-eval rows to frame dicts. Early rows get agent = their ``variant`` (else the sweep name),
    strategy = route and a seed equal to the run's order among rows of the same task, agent and route, so
    repeated runs pair up in order."""
    occurrence: dict[tuple[str, str, str], int] = defaultdict(int)
    ordered = sorted(enumerate(records), key=lambda ir: (str(ir[1].get("started_at") or ""), ir[0]))
    out: list[dict[str, Any]] = []
    for _, rec in ordered:
        kind = record_kind(rec)
        task = str(rec.get("task_id"))
        if kind == EARLY:
            # no agent field: the variant (local-model setup) or else the sweep names the system under test
            agent, strategy = str(rec.get("variant") or sweep), str(rec.get("route"))
            key = (task, agent, strategy)
            seed = occurrence[key]
            occurrence[key] += 1
        else:
            agent, strategy = str(rec.get("route")), str(rec.get("router_strategy") or "unknown")
            seed = _int(rec.get("seed"))
        q = rec.get("quality") or {}
        routing = rec.get("routing") or {}
        latency = rec.get("latency") or {}
        fp = q.get("functional_pass")
        err = _error_class(rec.get("error"))
        backends = [str(b) for b in (routing.get("per_call_backends") or [])]
        d: dict[str, Any] = {
            "sweep": sweep,
            "cell_id": f"{task}.{agent}.{strategy}.s{seed}",
            "task_id": task,
            "task_class": str(rec.get("category") or "?"),
            "family": task.split("/")[0],
            "difficulty": "",
            "agent": agent,
            "strategy": strategy,
            "seed": seed,
            "passed": fp is True and err == "none",
            "graded": fp is not None or err != "none",
            "error": err,
            "reason": str(rec.get("error") or "")[:200],
            "tests_passed": _int(q.get("tests_passed")),
            "tests_total": _int(q.get("tests_total")),
            "calls_local": _int(routing.get("local_calls")),
            "calls_cloud": _int(routing.get("cloud_calls")),
            "calls_aux": 0,
            "calls_failed": 0,
            "wall_ms": float(latency.get("wall_ms") or 0.0),
            "agent_ms": float(latency.get("wall_ms") or 0.0),
            "backend": "live",
            "local_model": str(rec.get("local_model_id") or ""),
            "cloud_model": str(rec.get("cloud_model_id") or ""),
            "models": str(rec.get("variant") or "+".join(sorted(set(backends))) or ""),
            "pricing_sha": "",
            "config_sha": str(rec.get("config_sha") or ""),
            "started_at": str(rec.get("started_at") or ""),
            "source_format": kind,
        }
        d.update(_tokens(rec.get("tokens") or {}))
        out.append(d)
    return out


def is_file(path: Path) -> bool:
    """Was this results file written by hybrid-coding-eval? Decided by its first line's fields; a first line
    that is not a JSON object says no (then our reader names what is wrong with it)."""
    try:
        with path.open("rb") as fh:
            first = next((raw for raw in fh if raw.strip()), None)
    except OSError:
        return False  # the reader that follows says why the file cannot be read
    if first is None:
        return False
    try:
        obj = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(obj, dict) and is_record(obj)


def read_file(path: Path) -> list[dict[str, Any]]:
    """A hybrid-coding-eval raw.jsonl as frame dicts: same line splitting, torn-tail tolerance and error
    wording as ``store.rows.read_rows``; the folder it lies in names the sweep."""
    records: list[dict[str, Any]] = []
    lines, open_tail = jsonl_lines(path)
    for n, (lineno, line) in enumerate(lines, start=1):
        try:
            records.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if open_tail and n == len(lines):
                continue  # a torn last line, as read_rows tolerates
            raise line_error(path, lineno, "not valid JSON") from None
    return records_to_dicts(records, sweep=path.parent.name)
