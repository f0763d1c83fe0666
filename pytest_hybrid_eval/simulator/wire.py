"""The OpenAI shape of a scripted reply: its token usage, the normalised message and its stream chunks.

Everything here is a pure function of the reply, so a streamed and a non-streamed answer to the same call
carry the same message and the same usage; only the transport (`transport`) differs.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from pytest_hybrid_eval.routing import tokens

__all__ = ["completion_text", "count_tokens", "normalise", "prompt_tokens", "stream_chunks",
           "tools_text", "usage_for"]

_STREAM_PIECES = 6  # content is streamed in about this many deltas, like a real model's token bursts


def count_tokens(text: str) -> int:
    """Real cl100k token count (shared tokenizer; special-token look-alikes count as plain text)."""
    return tokens.count_text(text)


def tools_text(body: dict[str, Any]) -> str:
    """The tools declaration as the model would read it (canonical compact JSON; '' without tools)."""
    return json.dumps(body["tools"], sort_keys=True, separators=(",", ":")) if body.get("tools") else ""


def prompt_tokens(body: dict[str, Any]) -> int:
    """Prompt tokens as an OpenAI server reports them: the chat messages with framing, plus the tools JSON."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    return tokens.count_messages(messages) + count_tokens(tools_text(body))


def completion_text(message: dict[str, Any]) -> str:
    """The text whose tokens are the completion: the reply content plus each tool call's name and args."""
    parts = [message.get("content") or ""]
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
    return "\n".join(p for p in parts if p)


def usage_for(body: dict[str, Any], message: dict[str, Any]) -> dict[str, int]:
    """The ``usage`` object of a reply to ``body`` that says ``message``."""
    usage = {"prompt_tokens": prompt_tokens(body), "completion_tokens": count_tokens(completion_text(message))}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return usage


def normalise(message: dict[str, Any], id_seed: str) -> dict[str, Any]:
    """An assistant message as OpenAI returns it: role, content (None only with tool calls), call ids.

    Tool calls without an id get one hashed from ``id_seed`` and their position, so replays agree.
    """
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
    calls = []
    for i, call in enumerate(message.get("tool_calls") or []):
        fn = call.get("function") or {}
        args = fn.get("arguments", "{}")
        if not isinstance(args, str):
            args = json.dumps(args)
        call_id = call.get("id") or "call_" + hashlib.sha256(f"{id_seed}|{i}".encode()).hexdigest()[:20]
        calls.append({"id": call_id, "type": "function", "function": {"name": fn.get("name", ""), "arguments": args}})
    if calls:
        out["tool_calls"] = calls
    elif out["content"] is None:
        out["content"] = ""
    return out


def _pieces(text: str, n: int = _STREAM_PIECES) -> list[str]:
    if not text:
        return []
    size = max(1, math.ceil(len(text) / n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_chunks(meta: dict[str, Any], message: dict[str, Any], usage: dict[str, int],
                  include_usage: bool) -> list[dict[str, Any]]:
    """The chat.completion.chunk sequence of one reply (the usage-only chunk only when asked for)."""
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out = {**meta, "object": "chat.completion.chunk", "system_fingerprint": "scripted",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if include_usage:
            out["usage"] = None
        return out

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in _pieces(message.get("content") or "")]
    for i, call in enumerate(message.get("tool_calls") or []):
        fn = call["function"]
        chunks.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                             "function": {"name": fn["name"], "arguments": ""}}]}))
        chunks += [chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                   for piece in _pieces(fn["arguments"])]
    chunks.append(chunk({}, "tool_calls" if message.get("tool_calls") else "stop"))
    if include_usage:
        chunks.append({**meta, "object": "chat.completion.chunk", "system_fingerprint": "scripted",
                       "choices": [], "usage": usage})
    return chunks
