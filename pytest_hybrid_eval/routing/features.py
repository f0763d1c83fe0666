"""Text features shared by the routing strategies.

Strategies must judge the *newest* part of a conversation (the user/tool delta since the last assistant
turn), not the whole transcript: an agent resends its huge system prompt on every call, so measuring the
full prompt would send every agent call to the cloud. Keyword matching is on word boundaries because
substring matching ("format" inside "formatDate") was a known bug of the hybrid-coding-eval router.
Message text and token counts come from ``tokens``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pytest_hybrid_eval.datafiles import data_path, sha256_file
from pytest_hybrid_eval.routing.tokens import message_text


def _last_assistant_index(messages: Sequence[dict[str, Any]]) -> int:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "assistant":
            return i
    return -1


def newest_delta(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """User/tool messages after the last assistant turn (all of them on a first call); never system text."""
    start = _last_assistant_index(messages) + 1
    return [m for m in messages[start:] if m.get("role") in ("user", "tool", "function")]


def delta_text(messages: Sequence[dict[str, Any]]) -> str:
    return "\n".join(t for t in (message_text(m) for m in newest_delta(messages)) if t)


def last_user_text(messages: Sequence[dict[str, Any]]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            return message_text(msg)
    return ""


def system_text(messages: Sequence[dict[str, Any]]) -> str:
    return "\n".join(message_text(m) for m in messages if m.get("role") in ("system", "developer"))


def has_assistant(messages: Sequence[dict[str, Any]]) -> bool:
    return _last_assistant_index(messages) >= 0


def delta_is_tool_result(messages: Sequence[dict[str, Any]]) -> bool:
    """True when the newest delta contains a tool result (the agent is reading output, not being asked)."""
    return any(m.get("role") in ("tool", "function") for m in newest_delta(messages))


def follows_tool_call(messages: Sequence[dict[str, Any]]) -> bool:
    """True when the last assistant turn asked for a tool, so this call continues a tool loop."""
    idx = _last_assistant_index(messages)
    return idx >= 0 and bool(messages[idx].get("tool_calls") or messages[idx].get("function_call"))


_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)


def count_code_blocks(text: str) -> int:
    """Number of fenced code blocks; an unclosed trailing fence still counts as a block."""
    fences = len(_FENCE.findall(text))
    return (fences + 1) // 2


class KeywordMatcher:
    """Case-insensitive whole-word matcher for single- and multi-word keywords."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = sorted({k.strip().lower() for k in keywords if k and k.strip()})
        self._patterns = [(k, re.compile(self._pattern(k), re.IGNORECASE)) for k in self.keywords]

    @staticmethod
    def _pattern(keyword: str) -> str:
        # Words inside a multi-word keyword may be separated by any whitespace; "\w" look-arounds make
        # "format" fail on "formatDate" and "format_date" alike, where "\b" alone would not.
        body = r"\s+".join(re.escape(w) for w in keyword.split())
        return rf"(?<![\w]){body}(?![\w])"

    def find(self, text: str) -> list[str]:
        if not text:
            return []
        return [k for k, pat in self._patterns if pat.search(text)]


def is_agent_conversation(body: dict[str, Any], markers: Iterable[str]) -> tuple[bool, str]:
    """Detect agent traffic and say why: tool roles, assistant tool calls, a tools array, or a marker."""
    messages = body.get("messages") or []
    if any(m.get("role") in ("tool", "function") for m in messages):
        return True, "tool message"
    if any(m.get("role") == "assistant" and (m.get("tool_calls") or m.get("function_call")) for m in messages):
        return True, "assistant tool call"
    if body.get("tools") or body.get("functions"):
        return True, "tools array"
    sys_text = system_text(messages).lower()
    for marker in markers:
        if marker.lower() in sys_text:
            return True, f"system marker: {marker}"
    return False, "plain chat"


# ---- router data files ------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _load_yaml(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at top level")
    return data


def load_keywords() -> dict[str, Any]:
    """router/keywords.yaml, re-read only when the file changes."""
    path = data_path("router", "keywords.yaml")
    return _load_yaml(str(path), path.stat().st_mtime)


@lru_cache(maxsize=32)
def _file_sha(path: str, mtime: float) -> str:
    return sha256_file(Path(path))


def data_sha(*names: str) -> str:
    """One sha256 over the named router data files (name + content hash), so a row pins its data."""
    h = hashlib.sha256()
    for name in sorted(set(names)):
        path = data_path("router", name)
        h.update(f"{name}:{_file_sha(str(path), path.stat().st_mtime)}\n".encode())
    return h.hexdigest()
