"""Server-sent events as OpenAI-compatible servers stream them: the package's one reader of ``data:``.

An event is the bytes up to and including a blank line; its payload is the values of its ``data:``
lines joined by newlines (one space after the colon is not part of a value, as the SSE specification
says). Lines end in LF or CRLF; Python's ``str.splitlines`` is not used because it also splits at
U+2028 and NEL, which a JSON string may carry raw, and that would cut a chunk in two. A bare CR, which
the specification also allows, is sent by no OpenAI-compatible server and is not recognised.

Events are found in the bytes as they arrive, so the proxy can relay, drop (the usage-only event it
asked for on the client's behalf) or redact whole events; see ``relay``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_hybrid_eval.routing.replies import choice_text, parse_usage
from pytest_hybrid_eval.usage import TokenCounts

EVENT_END = re.compile(rb"\r?\n\r?\n")
#: A ``[DONE]`` line in relayed bytes (the end of an OpenAI stream).
DONE = re.compile(rb"(?m)^data: ?\[DONE\]")


def split_events(data: bytes) -> list[bytes]:
    """The events of a whole stream, each with the blank line that ends it; an unterminated tail last."""
    events: list[bytes] = []
    start = 0
    for m in EVENT_END.finditer(data):
        events.append(data[start:m.end()])
        start = m.end()
    if start < len(data):
        events.append(data[start:])
    return events


def event_payload(raw: bytes) -> str:
    """The data of one event (its ``data:`` values joined by newlines), outer whitespace stripped."""
    datas: list[str] = []
    for line in raw.decode("utf-8", errors="replace").split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line.startswith("data:"):
            datas.append(line[6:] if line.startswith("data: ") else line[5:])
        elif line == "data":  # a field name without a colon has an empty value
            datas.append("")
    return "\n".join(datas).strip()


def event_json(raw: bytes) -> tuple[Any, bool]:
    """(the parsed payload, whether the event carries one): ``[DONE]``, comments and empty events carry
    none; a payload that is not JSON parses to None."""
    payload = event_payload(raw)
    if not payload or payload == "[DONE]":
        return None, False
    try:
        return json.loads(payload), True
    except ValueError:
        return None, True


class SSEWatcher:
    """Reads a copy of an SSE stream on the side: picks up usage and the reply text, finds whole events.

    ``feed`` returns the complete events seen so far with a flag saying whether each is a usage-only
    chunk (empty ``choices`` plus ``usage``); the proxy uses these only when it must drop that chunk.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.usage: TokenCounts | None = None
        self.text: list[str] = []
        #: ``data:`` payloads that were neither ``[DONE]`` nor a JSON object (passed on, but recorded)
        self.malformed = 0

    def feed(self, data: bytes) -> list[tuple[bytes, bool]]:
        self._buf += data
        events: list[tuple[bytes, bool]] = []
        start = 0
        for m in EVENT_END.finditer(self._buf):
            raw = bytes(self._buf[start:m.end()])
            events.append((raw, self._parse(raw)))
            start = m.end()
        if start:
            del self._buf[:start]
        return events

    def flush(self) -> bytes:
        """The trailing bytes of an event that never got its blank line (parsed, then returned)."""
        rest = bytes(self._buf)
        self._buf.clear()
        if rest.strip():
            self._parse(rest)
        return rest

    def _parse(self, raw: bytes) -> bool:
        obj, carried = event_json(raw)
        if not carried:
            return False
        if not isinstance(obj, dict):
            self.malformed += 1
            return False
        usage = parse_usage(obj.get("usage"))
        if usage is not None:
            self.usage = usage
        choices = obj.get("choices")
        if isinstance(choices, list):
            for ch in choices:
                if isinstance(ch, dict):
                    self.text.extend(choice_text(ch, "delta"))
        return usage is not None and isinstance(choices, list) and not choices


def assemble_sse(data: bytes) -> dict[str, Any]:
    """A streamed reply folded into the shape of a non-streamed one (first choice), for checks."""
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    refusal: list[str] = []
    for event in split_events(data):
        obj, _ = event_json(event)
        for ch in (obj.get("choices") or []) if isinstance(obj, dict) else []:
            if not isinstance(ch, dict) or ch.get("index", 0) != 0:
                continue
            finish = ch.get("finish_reason") or finish
            delta = ch.get("delta") if isinstance(ch.get("delta"), dict) else {}
            if isinstance(delta.get("content"), str):
                content.append(delta["content"])
            if isinstance(delta.get("refusal"), str):
                refusal.append(delta["refusal"])
            for tc in delta.get("tool_calls") or []:
                if not isinstance(tc, dict):
                    continue
                slot = calls.setdefault(int(tc.get("index", len(calls))),
                                        {"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") if isinstance(tc.get("function"), dict) else {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    if refusal:
        message["refusal"] = "".join(refusal)
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}
