"""What the proxy reads out of an OpenAI chat reply (whole or one stream chunk): usage and text.

The proxy never edits a reply; it only reads it to fill the call record. ``usage`` is taken as the
upstream reports it; the text is what a usage estimate counts when the upstream reports none.
"""

from __future__ import annotations

from typing import Any

from pytest_hybrid_eval.usage import TokenCounts


def _int(v: Any) -> int:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0


def parse_usage(obj: Any) -> TokenCounts | None:
    """TokenCounts from an OpenAI ``usage`` object, or None when it is missing or malformed."""
    if not isinstance(obj, dict):
        return None
    pdet = obj.get("prompt_tokens_details") or {}
    cdet = obj.get("completion_tokens_details") or {}
    return TokenCounts(
        prompt=_int(obj.get("prompt_tokens")),
        completion=_int(obj.get("completion_tokens")),
        cached=_int(pdet.get("cached_tokens")) if isinstance(pdet, dict) else 0,
        reasoning=_int(cdet.get("reasoning_tokens")) if isinstance(cdet, dict) else 0,
    )


def choice_text(choice: dict[str, Any], key: str) -> list[str]:
    """Text a choice carries under ``key`` (``message``, or ``delta`` in a stream chunk): content,
    reasoning, tool-call names and arguments, i.e. everything the model generated and was billed for."""
    part = choice.get(key)
    if not isinstance(part, dict):
        return []
    out = [part[k] for k in ("content", "reasoning_content", "reasoning") if isinstance(part.get(k), str)]
    for call in part.get("tool_calls") or []:
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            out.extend(v for v in (fn.get("name"), fn.get("arguments")) if isinstance(v, str))
    return out


def reply_text(reply: dict[str, Any]) -> list[str]:
    """The generated text of every choice of a whole (non-streamed) reply."""
    return [t for ch in reply.get("choices") or [] if isinstance(ch, dict) for t in choice_text(ch, "message")]
