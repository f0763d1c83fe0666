"""Offline evaluation of routing strategies against labelled prompts (router/eval_prompts.jsonl).

It answers "how often does a strategy pick the tier we would have picked, how much does it send to
the cloud, and what does deciding cost" without any model running. With no AuxClient, classifier
strategies say "no classifier available" in their reasons and that count is reported, so nobody mistakes
their local-by-default accuracy for a classifier's. Library code: returns data, prints nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from pytest_hybrid_eval.datafiles import data_path, sha256_file
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.strategies import get_strategy
from pytest_hybrid_eval.routing.strategies.base import AuxClient, RouteRequest, StrategyContext


def load_prompts(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Rows with id, label (local|cloud), kind (chat|agent) and the request body."""
    path = Path(path) if path is not None else data_path("router", "eval_prompts.jsonl")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        raise HybridEvalError(f"{path}: cannot read the labelled prompts ({why}); pass a JSONL file with --prompts") from None
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict) or row.get("label") not in ("local", "cloud") or not isinstance(row.get("body"), dict):
            raise HybridEvalError(f"{path}:{n}: need a JSON object with label local|cloud and a body; fix that line")
        rows.append(row)
    return rows


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


async def evaluate_async(strategies: list[str], prompts_path: Path | str | None = None,
                         aux: AuxClient | None = None, params: dict[str, dict[str, Any]] | None = None,
                         classifier_model: str = "") -> list[dict[str, Any]]:
    """One summary dict per strategy; ``params`` maps a strategy name to its ctx.params."""
    prompts = load_prompts(prompts_path)
    source = Path(prompts_path) if prompts_path is not None else data_path("router", "eval_prompts.jsonl")
    prompts_sha = sha256_file(source)
    out = []
    for name in strategies:
        strategy = get_strategy(name)
        ctx = StrategyContext(params=dict((params or {}).get(name, {})), aux=aux,
                              classifier_model=classifier_model)
        correct = {"chat": [0, 0], "agent": [0, 0]}
        cloud = 0
        latencies: list[float] = []
        errors: list[str] = []
        mistakes: list[str] = []
        aux_calls = aux_tokens = no_classifier = 0
        for i, row in enumerate(prompts):
            req = RouteRequest(body=row["body"], cell_id="router-eval", call_index=i)
            started = time.perf_counter()
            try:
                decision = await strategy.decide(req, ctx)
            except Exception as exc:  # counted, never dropped: an erroring strategy scores wrong
                latencies.append((time.perf_counter() - started) * 1000)
                errors.append(f"{row.get('id', i)}: {type(exc).__name__}: {exc}")
                mistakes.append(str(row.get("id", i)))
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            kind = "agent" if row.get("kind") == "agent" else "chat"
            correct[kind][1] += 1
            if decision.choice == row["label"]:
                correct[kind][0] += 1
            else:
                mistakes.append(str(row.get("id", i)))
            cloud += decision.choice == "cloud"
            aux_calls += len(decision.aux)
            aux_tokens += sum(a.usage.total for a in decision.aux)
            no_classifier += "no classifier available" in decision.reason
        n = len(prompts)
        right = correct["chat"][0] + correct["agent"][0]
        out.append({
            "strategy": name,
            "n": n,
            "accuracy": round(right / n, 4) if n else None,
            "accuracy_chat": round(correct["chat"][0] / correct["chat"][1], 4) if correct["chat"][1] else None,
            "accuracy_agent": (round(correct["agent"][0] / correct["agent"][1], 4)
                               if correct["agent"][1] else None),
            "cloud_share": round(cloud / n, 4) if n else None,
            "decide_ms_p50": _pct(latencies, 50),
            "decide_ms_p99": _pct(latencies, 99),
            "errors": errors,
            "mistakes": mistakes,
            "aux_calls": aux_calls,
            "aux_tokens": aux_tokens,
            "no_classifier": no_classifier,
            "prompts_sha": prompts_sha,
        })
    return out


def evaluate(strategies: list[str], prompts_path: Path | str | None = None, aux: AuxClient | None = None,
             params: dict[str, dict[str, Any]] | None = None, classifier_model: str = "") -> list[dict[str, Any]]:
    """Synchronous wrapper for scripts and the CLI; inside a running loop use ``evaluate_async``."""
    return asyncio.run(evaluate_async(strategies, prompts_path, aux, params, classifier_model))
