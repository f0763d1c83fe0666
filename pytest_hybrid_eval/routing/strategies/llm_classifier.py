"""LLM classifier: a small local model labels the last user request SIMPLE or COMPLEX.

The classifier call goes through ``ctx.aux`` so its tokens and latency land in the decision record
(hybrid-coding-eval hid them). Anything that is not a clean one-word answer is "unparseable" and routes local,
with the reason saying so, rather than guessing.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from pytest_hybrid_eval.datafiles import data_path
from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.usage import AuxCall

DATA_FILES = ("classifier_prompt.md",)
MAX_CHARS = 4000

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.IGNORECASE | re.DOTALL)
_LABEL = re.compile(r"\b(SIMPLE|COMPLEX)\b", re.IGNORECASE)


def classifier_prompt() -> str:
    return data_path("router", "classifier_prompt.md").read_text(encoding="utf-8").strip()


def parse_answer(reply: str | None) -> str:
    """Return "SIMPLE", "COMPLEX" or "unparseable". Reasoning blocks (<think>…) are ignored."""
    if not reply:
        return "unparseable"
    labels = {m.upper() for m in _LABEL.findall(_THINK.sub(" ", reply))}
    return labels.pop() if len(labels) == 1 else "unparseable"


@dataclass
class ClassifierOpinion:
    answer: str  # SIMPLE | COMPLEX | unparseable | failed | unavailable
    reason: str
    aux: AuxCall | None


async def ask_classifier(req: RouteRequest, ctx: StrategyContext) -> ClassifierOpinion:
    """One classifier round trip; never raises, so a broken classifier cannot break routing."""
    if ctx.aux is None:
        return ClassifierOpinion("unavailable", "no classifier available", None)
    text = fx.last_user_text(req.messages)[:MAX_CHARS]
    messages = [{"role": "system", "content": classifier_prompt()}, {"role": "user", "content": text}]
    timeout_s = float(ctx.params.get("timeout_s", 10))
    started = time.perf_counter()
    try:
        # The client is told the timeout; wait_for (with a small grace) enforces it if the client does not.
        reply, aux = await asyncio.wait_for(
            ctx.aux.chat("classifier", messages, ctx.classifier_model, req.cell_id, timeout_s),
            timeout_s + 0.5,
        )
    except TimeoutError:
        aux = AuxCall(kind="classifier", tier="local", model=ctx.classifier_model or "?", ok=False,
                      error=f"timeout after {timeout_s:g}s",
                      latency_ms=round((time.perf_counter() - started) * 1000, 3))
        return ClassifierOpinion("failed", f"classifier timed out after {timeout_s:g}s", aux)
    except Exception as exc:  # an AuxClient should not raise, but a raise must still route
        aux = AuxCall(kind="classifier", tier="local", model=ctx.classifier_model or "?", ok=False,
                      error=f"{type(exc).__name__}: {exc}")
        return ClassifierOpinion("failed", f"classifier raised {type(exc).__name__}", aux)
    if reply is None or not aux.ok:
        return ClassifierOpinion("failed", f"classifier failed: {aux.error or 'no reply'}", aux)
    answer = parse_answer(reply)
    if answer == "unparseable":
        return ClassifierOpinion(answer, f"classifier reply unparseable: {reply[:60]!r}", aux)
    return ClassifierOpinion(answer, f"classifier said {answer}", aux)


@register("llm-classifier")
class LlmClassifier:
    name = "llm-classifier"

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        op = await ask_classifier(req, ctx)
        features = {"classifier_answer": op.answer, "classifier_model": ctx.classifier_model,
                    "data_sha": fx.data_sha(*DATA_FILES)}
        aux = [op.aux] if op.aux is not None else []
        if op.answer == "COMPLEX":
            return Decision("cloud", op.reason, 0.7, features, aux)
        if op.answer == "SIMPLE":
            return Decision("local", op.reason, 0.7, features, aux)
        return Decision("local", f"{op.reason}; defaulting to local", 0.5, features, aux)
