"""The aider adapter (``aider-chat``) and its dialect for the scripted backend.

aider runs once per cell in "one message" mode: ``--message <task>`` with the editable files in the
chat; it sends the request, applies the file listings of the reply and exits. Flags that matter and why:

- ``--edit-format whole``: the reply carries each changed file in full after its path line, the format
  the scripted backend can reproduce exactly (no search/replace anchors that could fail to match).
- ``--no-git``: a workspace is not a repository; without it aider (with ``--yes-always``) would create
  one and commit, a second, unaccounted side effect. ``--no-auto-commits``/``--no-gitignore`` stay too,
  so a workspace that *is* a repository is never committed to either.
- ``--no-auto-lint``: aider lints edited files and, with ``--yes-always``, asks the model to fix lint
  findings — an extra LLM call that depends on a linter rather than on the task.
- ``--no-analytics --no-check-update --no-show-release-notes``: no network but the proxy.
- ``--map-tokens 0``: no repo map (tree-sitter scan) — the task names its files.
- ``--model openai/<model> --openai-api-base <cell proxy url>``: litellm's OpenAI route, so the model
  name reaches the proxy unchanged; ``--model-metadata-file`` tells litellm the context size and a zero
  price of that unknown name, and ``LITELLM_LOCAL_MODEL_COST_MAP`` stops it fetching a price list.
- History files and ``.env`` lookups point into the private HOME, so the workspace holds only the task.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pytest_hybrid_eval.agents.base import AgentContext, AgentResult
from pytest_hybrid_eval.agents.cli_agent import CliAgent, CliRun
from pytest_hybrid_eval.agents.dialect import Message
from pytest_hybrid_eval.routing.tokens import content_text

__all__ = ["AiderAgent", "AiderWholeDialect"]

NAME = "aider"
CONTEXT_TOKENS = 128_000
OUTPUT_TOKENS = 16_384

_FENCE_RULE = re.compile(r"Second line: opening (\S+)")
_CLOSE_RULE = re.compile(r"Final line: closing (\S+)")


class AiderWholeDialect:
    """aider's ``whole`` edit format: a path line, an opening fence, the whole file, a closing fence.

    aider picks its fence per conversation (``` unless a chat file already contains one, then e.g.
    ``<source>``) and states it in the system prompt, so the fence is read from there. aider's parser
    toggles on any line *starting* with the fence; the replies end each file with a newline so the
    closing fence is always on its own line.
    """

    @staticmethod
    def _fences(messages: list[Message]) -> tuple[str, str]:
        for message in messages:
            if message.get("role") != "system":
                continue
            text = content_text(message.get("content"))
            opening, closing = _FENCE_RULE.search(text), _CLOSE_RULE.search(text)
            if opening and closing:
                return opening.group(1), closing.group(1)
        return "```", "```"

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        opening, closing = self._fences(messages)
        blocks = []
        for path, content in files.items():
            body = content if content.endswith("\n") or not content else content + "\n"
            blocks.append(f"{path}\n{opening}\n{body}{closing}\n")
        intro = "Here is the complete updated content of each file that needs changes.\n\n"
        return {"role": "assistant", "content": intro + "\n".join(blocks)}

    def is_done(self, messages: list[Message]) -> bool:
        """Done once an earlier assistant turn of this conversation already carried file listings.

        aider normally stops after one reply; it asks again only to "reflect" (an edit it could not
        apply), and answering that with the same files again would loop until aider's reflection cap.
        """
        opening, _closing = self._fences(messages)
        return any(m.get("role") == "assistant" and f"\n{opening}\n" in content_text(m.get("content"))
                   and not _is_example(m) for m in messages[1:])

    def done_message(self, messages: list[Message]) -> Message:
        return {"role": "assistant", "content": "No changes are needed."}


def _is_example(message: Message) -> bool:
    """aider's few-shot example reply (it mentions show_greeting.py) is not a turn of this conversation."""
    return "show_greeting.py" in content_text(message.get("content"))


class AiderAgent(CliAgent):
    """aider in one-message mode, whole-file edits, against the cell's proxy URL."""

    name = NAME
    dialect = AiderWholeDialect()

    def command(self, ctx: AgentContext, exe: Path) -> tuple[list[str], dict[str, str]]:
        home = ctx.home
        model = f"openai/{ctx.model}"
        metadata = home / "aider-model-metadata.json"
        metadata.write_text(json.dumps({model: {
            "max_tokens": OUTPUT_TOKENS, "max_input_tokens": CONTEXT_TOKENS, "max_output_tokens": OUTPUT_TOKENS,
            "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "openai",
            "mode": "chat", "supports_function_calling": True,
        }}, indent=2))
        argv = [
            str(exe), "--model", model, "--openai-api-base", ctx.base_url, "--openai-api-key", ctx.api_key,
            "--model-metadata-file", str(metadata), "--edit-format", "whole", "--map-tokens", "0",
            "--yes-always", "--no-git", "--no-auto-commits", "--no-gitignore", "--no-auto-lint",
            "--no-analytics", "--no-check-update", "--no-show-release-notes", "--no-show-model-warnings",
            "--no-pretty", "--no-fancy-input", "--no-stream", "--no-detect-urls", "--no-suggest-shell-commands",
            "--no-restore-chat-history", "--no-notifications", "--encoding", "utf-8",
            "--input-history-file", str(home / "aider.input.history"),
            "--chat-history-file", str(home / "aider.chat.history.md"),
            "--llm-history-file", str(home / "aider.llm.history"),
            "--env-file", str(home / "aider.env"),
            "--timeout", str(max(10, int(ctx.timeout_s))),
        ]
        for test in _visible_tests(ctx.workspace):
            argv += ["--read", test]
        argv += ["--message", ctx.task.prompt, *ctx.task.editable]
        env = {"OPENAI_API_KEY": ctx.api_key, "OPENAI_API_BASE": ctx.base_url,
               "LITELLM_LOCAL_MODEL_COST_MAP": "True", "AIDER_ANALYTICS": "false", "AIDER_CHECK_UPDATE": "false"}
        return argv, env

    def inspect(self, ctx: AgentContext, run: CliRun, result: AgentResult) -> None:
        """Count the model turns from aider's LLM history log (one "LLM RESPONSE" block per call)."""
        super().inspect(ctx, run, result)
        log = ctx.home / "aider.llm.history"
        try:
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        result.turns = len(re.findall(r"^LLM RESPONSE", text, flags=re.MULTILINE))


def _visible_tests(workspace: Path) -> list[str]:
    """The visible test files, passed read-only so a real model sees what will be checked."""
    tests = workspace / "tests"
    if not tests.is_dir():
        return []
    return sorted(p.relative_to(workspace).as_posix() for p in tests.rglob("*.py") if p.is_file())
