"""The opencode CLI (npm ``opencode-ai``) as a benchmark agent, and the dialect the scripted backend speaks to it.

Why it looks the way it does (measured with opencode-ai 1.18.33 against a logging OpenAI-compatible server):

- opencode reads its provider from a config file named by ``OPENCODE_CONFIG``. We write one per run into
  the cell's private HOME: a provider ``hybrid`` on ``@ai-sdk/openai-compatible`` (bundled with opencode,
  nothing is downloaded for it) whose ``baseURL`` is the cell's proxy URL, one model per strategy name
  with explicit limits (there is no models.dev lookup offline), and permissions that let it edit and
  run commands without asking but never fetch the web.
- ``opencode run`` first sends a TITLE request (its own system prompt, no tools), then the task with
  9 tools. Both go to the same ``baseURL``, so both are attributed to the cell and counted; the dialect
  answers the title request with a short plain title like a model would.
- Files are written with the ``write`` tool (``filePath`` absolute, ``content`` whole). A reply without
  tool calls ends the run. The system prompt states ``Working directory: <path>``.
- The ``OPENCODE_DISABLE_*`` variables switch off the models.dev fetch, self-update, default plugins,
  LSP downloads and sharing. opencode still runs npm for its config-dir plugin package; npm is put in
  offline mode with an unroutable registry so no byte leaves the machine for it (it then skips it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_hybrid_eval.agents.base import AgentContext, AgentResult
from pytest_hybrid_eval.agents.cli_agent import CliAgent, CliRun
from pytest_hybrid_eval.agents.dialect import Message
from pytest_hybrid_eval.routing.tokens import content_text

__all__ = ["OpencodeAgent", "OpencodeDialect", "opencode_config", "opencode_prompt", "parse_events"]

PROVIDER_ID = "hybrid"
CONFIG_NAME = "opencode.json"
CONTEXT_LIMIT = 128_000
OUTPUT_LIMIT = 16_000
TITLE_MAX_CHARS = 50

ENV_SWITCHES = {
    "OPENCODE_DISABLE_MODELS_FETCH": "1",
    "OPENCODE_DISABLE_AUTOUPDATE": "1",
    "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
    "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
    "OPENCODE_DISABLE_SHARE": "1",
    "OPENCODE_DISABLE_PROJECT_CONFIG": "1",  # a task's own opencode.json must not change the agent setup
    # opencode's background `npm install` of its plugin package: cache only, and nowhere to go if not
    "npm_config_offline": "true",
    "npm_config_registry": "http://127.0.0.1:9/",
    "npm_config_update_notifier": "false",
}

_WORKDIR = re.compile(r"Working directory:[ \t]*(/[^\n<]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


# -- the dialect --------------------------------------------------------------------------------------


def workspace_from_messages(messages: list[Message]) -> str | None:
    """The workspace opencode announces in its system prompt (``Working directory: /abs/path``), if any."""
    for message in messages:
        if message.get("role") == "system":
            match = _WORKDIR.search(content_text(message.get("content")))
            if match:
                return match.group(1)
    return None


def _title_for(files: dict[str, str]) -> str:
    names = ", ".join(PurePosixPath(p).name for p in files) or "the code"
    title = f"Update {names}"
    return title if len(title) <= TITLE_MAX_CHARS else title[: TITLE_MAX_CHARS - 1].rstrip() + "…"


class OpencodeDialect:
    """How a model drives opencode: one ``write`` call per file, then a plain answer; titles when asked.

    A request without tools is opencode's title request (the task requests always carry tools), so it
    gets a one-line title. The write turn uses absolute paths (the tool demands them) taken from the
    ``X-Hybrid-Workspace`` header when present, else from the system prompt.
    """

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        if not tools:
            return {"role": "assistant", "content": _title_for(files)}
        names = {str((t.get("function") or {}).get("name", "")) for t in tools if isinstance(t, dict)}
        root = workspace_hint or workspace_from_messages(messages)
        if "write" not in names or root is None:
            return {"role": "assistant", "content": "I cannot write files in this conversation: the write "
                                                    "tool or the working directory is missing."}
        if not files:
            return self.done_message(messages)
        calls = [{"type": "function", "function": {"name": "write", "arguments": json.dumps(
            {"filePath": str(PurePosixPath(root) / rel), "content": content})}} for rel, content in files.items()]
        return {"role": "assistant", "content": "", "tool_calls": calls}

    def is_done(self, messages: list[Message]) -> bool:
        """The conversation ends with the results of a turn made only of ``write`` calls."""
        if not messages or messages[-1].get("role") != "tool":
            return False
        for i in range(len(messages) - 1, -1, -1):
            if messages[i].get("role") == "assistant":
                names = [(c.get("function") or {}).get("name") for c in messages[i].get("tool_calls") or []]
                answered = sum(1 for m in messages[i + 1 :] if m.get("role") == "tool")
                return bool(names) and all(n == "write" for n in names) and answered >= len(names)
        return False

    def done_message(self, messages: list[Message]) -> Message:
        return {"role": "assistant", "content": "I wrote the files; the task is complete."}


# -- the agent ----------------------------------------------------------------------------------------


def model_id(ctx: AgentContext) -> str:
    """The model key inside our provider: the name the proxy routes on (e.g. ``hybrid/cascade``)."""
    return ctx.model


def opencode_config(ctx: AgentContext) -> dict[str, Any]:
    """The complete opencode config of one run (written to ``ctx.home``/opencode.json)."""
    mid = model_id(ctx)
    return {
        "$schema": "https://opencode.ai/config.json",
        "provider": {PROVIDER_ID: {
            "npm": "@ai-sdk/openai-compatible",
            "name": "pytest-hybrid-eval routing proxy",
            "options": {"baseURL": ctx.base_url, "apiKey": ctx.api_key},
            "models": {mid: {"name": mid, "limit": {"context": CONTEXT_LIMIT, "output": OUTPUT_LIMIT}}},
        }},
        "model": f"{PROVIDER_ID}/{mid}",
        "small_model": f"{PROVIDER_ID}/{mid}",  # the title call goes through the same proxy URL
        "permission": {"edit": "allow", "bash": "allow", "webfetch": "deny"},
        "autoupdate": False,
        "share": "disabled",
    }


def opencode_prompt(ctx: AgentContext) -> str:
    """The task as opencode gets it: the task's prompt plus which files it may change."""
    editable = ", ".join(ctx.task.editable)
    tests = " The visible tests are in tests/ (do not change them)." if (ctx.workspace / "tests").is_dir() else ""
    return f"{ctx.task.prompt.strip()}\n\nFiles you may change: {editable}.{tests}"


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON events of ``opencode run --format json`` (one per line; partial or foreign lines skipped)."""
    events = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


class OpencodeAgent(CliAgent):
    """``opencode run --format json`` with a per-run config pointing its only provider at the cell's proxy URL."""

    name = "opencode"
    dialect = OpencodeDialect()

    def command(self, ctx: AgentContext, exe: Path) -> tuple[list[str], dict[str, str]]:
        config = ctx.home / CONFIG_NAME
        config.write_text(json.dumps(opencode_config(ctx), indent=2) + "\n", encoding="utf-8")
        argv = [str(exe), "run", "--format", "json", "-m", f"{PROVIDER_ID}/{model_id(ctx)}", opencode_prompt(ctx)]
        return argv, {**ENV_SWITCHES, "OPENCODE_CONFIG": str(config)}

    def inspect(self, ctx: AgentContext, run: CliRun, result: AgentResult) -> None:
        """Steps become turns; an ``error`` event (opencode still exits 0 after one) makes the run agent_error."""
        super().inspect(ctx, run, result)
        events = parse_events(run.stdout_tail)
        steps = sum(1 for e in events if e.get("type") == "step_start")
        if steps:
            result.turns = steps
        tools = [((e.get("part") or {}).get("tool"), ((e.get("part") or {}).get("state") or {}).get("status"))
                 for e in events if e.get("type") == "tool_use"]
        result.extra["tool_calls"] = ",".join(f"{t}:{s}" for t, s in tools)
        errors = [e for e in events if e.get("type") == "error"]
        if errors and result.status == "ok":
            err = errors[-1].get("error")
            text = json.dumps(err)[:300] if err is not None else json.dumps(errors[-1])[:300]
            result.status = "agent_error"
            result.reason = f"opencode reported an error: {text}"
