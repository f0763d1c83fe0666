"""Escalate: answer locally, check the reply, and let the proxy re-ask the cloud when the check fails.

Unlike a gate that guesses before the call, this pays for the cloud only when the local answer is
visibly unusable. ``needs_escalation`` is the check (the strategy offers it as ``EscalatingStrategy``);
it is pure so the proxy (which owns the HTTP round trips) can call it on a non-streamed local reply.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.routing.tokens import content_text

DATA_FILES = ("keywords.yaml",)
REFUSAL_WINDOW = 300


@lru_cache(maxsize=4)
def _compile(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in patterns]


def refusal_patterns() -> list[re.Pattern[str]]:
    return _compile(tuple(fx.load_keywords().get("refusals") or ()))


def _bad_tool_call(call: Any) -> str | None:
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not fn.get("name"):
        return "tool call without a function name"
    args = fn.get("arguments")
    if args is None or (isinstance(args, str) and not args.strip()):
        return None  # a no-argument tool; clients treat a missing/empty string as {}
    if isinstance(args, dict):
        return None
    if not isinstance(args, str):
        return f"tool call {fn['name']!r}: arguments are {type(args).__name__}, not JSON text"
    try:
        parsed = json.loads(args)
    except json.JSONDecodeError as exc:
        return f"tool call {fn['name']!r}: arguments are not valid JSON ({exc.msg})"
    if not isinstance(parsed, dict):
        return f"tool call {fn['name']!r}: arguments are JSON {type(parsed).__name__}, not an object"
    return None


def needs_escalation(reply: dict[str, Any]) -> str | None:
    """Why a local non-streamed chat completion is unusable (empty, truncated, malformed tool call,
    refusal), or None when it looks fine."""
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not choices or not isinstance(choices[0], dict):
        return "no choices in reply"
    choice = choices[0]
    if choice.get("finish_reason") == "length":
        return "truncated (finish_reason=length)"
    message = choice.get("message") or {}
    tool_calls = message.get("tool_calls") or []
    for call in tool_calls:
        bad = _bad_tool_call(call)
        if bad:
            return f"malformed tool call: {bad}"
    text = content_text(message.get("content"))
    if not text.strip() and not tool_calls:
        return "empty reply without tool calls"
    if message.get("refusal"):
        return "refusal"
    head = text.lstrip()[:REFUSAL_WINDOW]  # refusals open the reply; a long answer may quote one later
    for pat in refusal_patterns():
        if pat.search(head):
            return f"refusal pattern: {pat.pattern}"
    return None


@register("escalate")
class Escalate:
    name = "escalate"
    needs_escalation = staticmethod(needs_escalation)

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        return Decision(
            "local",
            "local first; the proxy escalates to cloud if the reply is empty, truncated, "
            "has a malformed tool call or refuses",
            None,
            {"data_sha": fx.data_sha(*DATA_FILES)},
            verify_then_escalate=True,
        )
