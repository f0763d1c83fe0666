"""What the proxy accepts as a chat-completions request: readable, JSON, relayable, well-typed, bounded.

Checks are on types only (the upstream checks values) plus the cost bounds of ``guards``; every refusal
is a 4xx with one line saying what is wrong, before any strategy or upstream sees the call.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing.guards import error_response, limit_problem

#: Where a surrogate can come from in a UTF-8 body: a ``\\uD800``-``\\uDFFF`` escape or CESU-style raw bytes.
_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_TYPED_FIELDS: tuple[tuple[str, type | tuple[type, ...], str], ...] = (
    ("model", str, "a string"),
    ("stream", bool, "a boolean"),
    ("stream_options", dict, "an object"),
    ("tools", list, "an array"),
)


def may_hold_surrogate(raw: bytes) -> bool:
    """False when ``json.loads(raw)`` cannot have produced a surrogate, so the costly check (a full
    re-encode of the body) is skipped. Conservative: any escape or byte that could yield one, or a body
    that is not UTF-8 (json also reads UTF-16/32), sends the request through the full check."""
    return json.detect_encoding(raw) not in ("utf-8", "utf-8-sig") or _SURROGATE_HINT.search(raw) is not None


def validate_body(body: Any) -> str | None:
    """The first problem with a chat-completions body, or None; types only (the upstream checks values)."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return "'messages' must be a non-empty array of message objects"
    for i, msg in enumerate(msgs):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            return f"'messages[{i}]' must be an object with a string 'role'"
    for key, typ, what in _TYPED_FIELDS:
        if key in body and body[key] is not None and not isinstance(body[key], typ):
            return f"'{key}' must be {what}"
    return None


async def read_chat_request(request: web.Request, config: SweepConfig
                            ) -> tuple[bytes, dict[str, Any]] | web.Response:
    """The raw bytes and parsed body of an acceptable chat request, or the 4xx that refuses it."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, f"request body exceeds {config.routing.max_body_bytes} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return error_response(400, "request body is not valid JSON")
    except RecursionError:  # json raises this, not ValueError, for deeply nested arrays/objects
        return error_response(400, "request body is nested too deeply")
    if may_hold_surrogate(raw):
        try:  # json.loads lets lone surrogates through (raw or \\ud800-escaped); relaying them would fail
            json.dumps(body, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            return error_response(400, "request body is not valid UTF-8 (lone surrogate)")
    problem = validate_body(body) or limit_problem(body, config.proxy)
    if problem is not None:
        return error_response(400, problem)
    return raw, body
