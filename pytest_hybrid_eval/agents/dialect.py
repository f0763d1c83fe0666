"""How the scripted backend speaks to each agent: "write these files" and "I am done", in its own format.

A real agent CLI only acts on replies in the format it parses (aider's edit blocks, cline's tool calls,
mini-swe-agent's bash blocks, …). Each agent carries its `Dialect` as its ``dialect`` attribute (found
through ``registry.agent_dialect``) so the scripted backend can drive that agent offline. Agents without
one get `PlainDialect`: files as markdown, which any human-facing client can at least display.

This module imports nothing else of the package: agents implement the protocol, the scripted backend
calls it, and neither needs the other.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

Message = dict[str, Any]

__all__ = [
    "Dialect",
    "PlainDialect",
    "fence_for",
    "language_for",
]


@runtime_checkable
class Dialect(Protocol):
    """One agent's reply format, as seen by a model that wants to write ``files``."""

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        """An OpenAI assistant message (``content`` and/or ``tool_calls``) that writes ``files``.

        ``files`` maps workspace-relative paths to full contents. ``workspace_hint`` is the agent's
        workspace directory when the caller knows it (header ``X-Hybrid-Workspace``), for dialects whose
        tools want absolute paths; otherwise None and the dialect may read it from the conversation.
        """
        ...

    def is_done(self, messages: list[Message]) -> bool:
        """True when the conversation shows the files were already written (time to say "done")."""
        ...

    def done_message(self, messages: list[Message]) -> Message:
        """The assistant message with which this agent recognises that the model has finished."""
        ...


# -- helpers shared by dialects ---------------------------------------------------------------------------

_LANGS = {".py": "python", ".js": "javascript", ".ts": "typescript", ".json": "json", ".yaml": "yaml",
          ".yml": "yaml", ".md": "markdown", ".toml": "toml", ".sh": "bash", ".txt": ""}


def language_for(path: str) -> str:
    """The fence info string for a file, from its extension ('' when unknown)."""
    dot = path.rfind(".")
    return _LANGS.get(path[dot:].lower(), "") if dot >= 0 else ""


def fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run inside ``content`` (so the block cannot end early)."""
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


class PlainDialect:
    """Fallback for agents without a dialect: a plain markdown answer showing each file in full."""

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        blocks = []
        for path, content in files.items():
            fence = fence_for(content)
            body = content if content.endswith("\n") or not content else content + "\n"
            blocks.append(f"`{path}`:\n\n{fence}{language_for(path)}\n{body}{fence}")
        text = "Here are the complete files.\n\n" + "\n\n".join(blocks) if blocks else "There is nothing to change."
        return {"role": "assistant", "content": text}

    def is_done(self, messages: list[Message]) -> bool:
        return False

    def done_message(self, messages: list[Message]) -> Message:
        return {"role": "assistant", "content": "The change is complete."}
