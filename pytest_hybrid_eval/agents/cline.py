"""The cline CLI (npm ``cline``) as a benchmark agent, and the dialect the scripted backend speaks to it.

Why it looks the way it does (measured with cline 3.0.65 against a logging OpenAI-compatible server):

- cline keeps its provider settings under ``~/.cline``; with ``HOME = ctx.home`` a ``cline auth`` per run
  writes them into the cell's private home, so parallel cells never share a provider or a session.
- Without ``CLINE_SESSION_BACKEND_MODE=local`` cline may hand the session to a detached "hub" daemon on
  a fixed port that outlives the run; ``local`` keeps the whole session inside the one process group
  that the runner kills at the end. ``CLINE_NO_AUTO_UPDATE=1`` stops the self-update check.
- Every request carries 25 tools. Files are changed with the ``editor`` tool, which needs an ABSOLUTE
  path and refuses to overwrite an existing file unless ``old_text`` quotes the text it replaces. So a
  model has to read the file first (``read_files``, whose result numbers each line ``"N | text"``) and
  then replace the whole text. This version has no completion tool: a reply WITHOUT tool calls ends the
  task (``finishReason: completed``).
- The system prompt states the workspace (``Working Directory: <path>``), which is how the dialect learns
  the absolute paths when the proxy does not forward the ``X-Hybrid-Workspace`` header.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_hybrid_eval.agents.base import AgentContext, AgentResult
from pytest_hybrid_eval.agents.cli_agent import CliAgent, CliRun, classify_outcome, run_cli, scrubbed_env
from pytest_hybrid_eval.agents.dialect import Message
from pytest_hybrid_eval.agents.install import executable, installed_version
from pytest_hybrid_eval.routing.tokens import content_text

__all__ = ["ClineAgent", "ClineDialect", "cline_prompt", "parse_read_result", "workspace_from_messages"]

PROVIDER = "openai-compatible"
#: ``cline auth`` only writes a settings file; a minute is generous even on a loaded machine.
AUTH_TIMEOUT_S = 60.0
#: Finish reasons in cline's ``run_result`` that mean the CLI itself failed (not merely a useless model).
FAILED_FINISH = ("error", "aborted")
#: After this many editor turns that did not fully succeed the dialect gives up (plain answer), as a
#: model that cannot make an edit stick would; without it a broken edit would loop until the timeout.
MAX_FAILED_EDITS = 3

_WORKDIR = re.compile(r"Working Directory:[ \t]*(/[^\n<]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_NUMBERED = re.compile(r"^ *\d+ \|(?: |$)")  # numbers are right-aligned: " 9 | ", "10 | "


# -- the dialect --------------------------------------------------------------------------------------


def workspace_from_messages(messages: list[Message]) -> str | None:
    """The workspace cline announces in its system prompt (``Working Directory: /abs/path``), if any."""
    for message in messages:
        if message.get("role") != "system":
            continue
        match = _WORKDIR.search(content_text(message.get("content")))
        if match:
            return match.group(1)
    return None


def parse_read_result(text: str) -> dict[str, str | None]:
    """cline's ``read_files`` tool result -> {absolute path: text as read, or None when it could not be read}.

    The result is JSON: a list (or one object) of ``{"query": path, "result": "1 | line…", "success": …}``.
    The line numbers are stripped; cline drops the file's final newline from what it shows, so the text
    returned here is the file minus at most one trailing newline.
    """
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return {}
    entries = data if isinstance(data, list) else [data]
    out: dict[str, str | None] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("query"), str):
            continue
        if not entry.get("success"):
            out[entry["query"]] = None
            continue
        raw = entry.get("result") if isinstance(entry.get("result"), str) else ""
        lines = [_NUMBERED.sub("", line, count=1) for line in raw.split("\n")] if raw else []
        out[entry["query"]] = "\n".join(lines)
    return out


def _last_assistant(messages: list[Message]) -> tuple[int, Message] | None:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "assistant":
            return i, messages[i]
    return None


def _tool_names(message: Message) -> list[str]:
    return [str((call.get("function") or {}).get("name", "")) for call in message.get("tool_calls") or []]


def _results_after(messages: list[Message], index: int) -> list[str]:
    return [content_text(m.get("content")) for m in messages[index + 1 :] if m.get("role") == "tool"]


def _succeeded(result: str) -> bool:
    try:
        data = json.loads(result)
    except (TypeError, ValueError):
        return False
    entries = data if isinstance(data, list) else [data]
    return bool(entries) and all(isinstance(e, dict) and e.get("success") is True for e in entries)


class ClineDialect:
    """How a model tells cline to write files: read them, replace their whole text with ``editor``, stop.

    Turn 1 asks ``read_files`` for every target file (a real model must know the current text before the
    editor accepts a replacement). Turn 2 sends one ``editor`` call per file: ``old_text`` = the text just
    read (whole file), ``new_text`` = the wanted content; files that did not exist are created (no
    ``old_text``). When all editor calls of the last turn succeeded, the answer is plain text, which
    ends cline's task. A failed edit sends the model back to reading, as a real model would retry.
    """

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        names = {str((t.get("function") or {}).get("name", "")) for t in tools if isinstance(t, dict)}
        root = workspace_hint or workspace_from_messages(messages)
        if "editor" not in names or "read_files" not in names or root is None:
            return {"role": "assistant", "content": "I cannot edit files in this conversation: the editor "
                                                    "tool or the working directory is missing."}
        targets = {str(PurePosixPath(root) / rel): content for rel, content in files.items()}
        if not targets:
            return self.done_message(messages)
        if self._failed_edit_turns(messages) >= MAX_FAILED_EDITS:
            return {"role": "assistant", "content": "I could not apply the edits; stopping here."}
        read = self._last_read(messages)
        if read is None:
            args = {"files": [{"path": path} for path in targets]}
            return {"role": "assistant", "content": "Let me read the files first.",
                    "tool_calls": [{"type": "function", "function": {"name": "read_files",
                                                                      "arguments": json.dumps(args)}}]}
        calls = []
        for path, wanted in targets.items():
            current = read.get(path)
            args: dict[str, Any]
            if current is None:  # absent (or unreadable): the editor creates it from new_text
                args = {"path": path, "new_text": wanted}
            elif current == "":  # an empty file: nothing to quote as old_text, so insert at line 1
                args = {"path": path, "new_text": wanted, "insert_line": 1}
            else:
                # `current` lacks the file's final newline; keep that newline in place, replace the rest
                new_text = wanted[:-1] if wanted.endswith("\n") else wanted
                if new_text == current:
                    continue
                args = {"path": path, "old_text": current, "new_text": new_text}
            calls.append({"type": "function", "function": {"name": "editor", "arguments": json.dumps(args)}})
        if not calls:
            return self.done_message(messages)
        return {"role": "assistant", "content": "Now I write the new versions.", "tool_calls": calls}

    @staticmethod
    def _failed_edit_turns(messages: list[Message]) -> int:
        """How many earlier assistant turns with ``editor`` calls got at least one unsuccessful result."""
        failed = 0
        for i, message in enumerate(messages):
            if message.get("role") == "assistant" and "editor" in _tool_names(message):
                results = []
                for later in messages[i + 1 :]:
                    if later.get("role") != "tool":
                        break
                    results.append(content_text(later.get("content")))
                if not results or not all(_succeeded(r) for r in results):
                    failed += 1
        return failed

    @staticmethod
    def _last_read(messages: list[Message]) -> dict[str, str | None] | None:
        """What the latest turn read, when that turn was a ``read_files`` call and its results are here."""
        last = _last_assistant(messages)
        if last is None or "read_files" not in _tool_names(last[1]):
            return None
        results = _results_after(messages, last[0])
        if not results:
            return None
        read: dict[str, str | None] = {}
        for result in results:
            read.update(parse_read_result(result))
        return read

    def is_done(self, messages: list[Message]) -> bool:
        """The conversation ends with the successful results of a turn made only of ``editor`` calls."""
        if not messages or messages[-1].get("role") != "tool":
            return False
        last = _last_assistant(messages)
        if last is None:
            return False
        names = _tool_names(last[1])
        results = _results_after(messages, last[0])
        return bool(names) and all(n == "editor" for n in names) and len(results) >= len(names) \
            and all(_succeeded(r) for r in results)

    def done_message(self, messages: list[Message]) -> Message:
        return {"role": "assistant", "content": "The files are updated; the task is complete."}


# -- the agent ----------------------------------------------------------------------------------------


def cline_prompt(ctx: AgentContext) -> str:
    """The task as cline gets it: the task's prompt plus which files it may change (like a user would say)."""
    editable = ", ".join(ctx.task.editable)
    tests = " The visible tests are in tests/ (do not change them)." if (ctx.workspace / "tests").is_dir() else ""
    return f"{ctx.task.prompt.strip()}\n\nFiles you may change: {editable}.{tests}"


class ClineAgent(CliAgent):
    """``cline auth`` into the cell's private HOME, then one non-interactive ``cline --json`` task run."""

    name = "cline"
    dialect = ClineDialect()

    def _env(self) -> dict[str, str]:
        return {"CLINE_SESSION_BACKEND_MODE": "local", "CLINE_NO_AUTO_UPDATE": "1"}

    def command(self, ctx: AgentContext, exe: Path) -> tuple[list[str], dict[str, str]]:
        argv = [str(exe), "--json", "-P", PROVIDER, "-m", ctx.model, "-c", str(ctx.workspace), cline_prompt(ctx)]
        return argv, self._env()

    def auth_command(self, ctx: AgentContext, exe: Path) -> list[str]:
        """Configure the openai-compatible provider: the proxy URL of this cell and a dummy key."""
        return [str(exe), "auth", "-p", PROVIDER, "-k", ctx.api_key, "-m", ctx.model, "-b", ctx.base_url]

    def run(self, ctx: AgentContext) -> AgentResult:
        """Authenticate (its time counts against the cell's budget), then run the task."""
        exe = executable(self.name)
        version = installed_version(self.name)
        if exe is None or version is None:
            return super().run(ctx)  # reports not_installed with the install command
        start = time.monotonic()
        env = scrubbed_env(ctx, self._env(), agent=self.name)
        auth_budget = min(AUTH_TIMEOUT_S, ctx.timeout_s)
        auth = run_cli(self.auth_command(ctx, exe), ctx, env, auth_budget, agent=self.name)
        status, reason = classify_outcome(auth, auth_budget)
        if status != "ok":
            why = reason or "failed"
            status = "agent_timeout" if status == "agent_timeout" and auth_budget >= ctx.timeout_s else "agent_error"
            return AgentResult(status=status, version=version, reason=f"cline auth: {why}",
                               duration_s=time.monotonic() - start, stdout_tail=auth.stdout_tail,
                               stderr_tail=auth.stderr_tail, extra={"agent": self.name, "phase": "auth"})
        remaining = ctx.timeout_s - (time.monotonic() - start)
        if remaining <= 1:
            return AgentResult(status="agent_timeout", version=version, duration_s=time.monotonic() - start,
                               reason=f"no time left after cline auth (budget {ctx.timeout_s:.0f}s)")
        result = super().run(dataclasses.replace(ctx, timeout_s=remaining))
        result.duration_s = time.monotonic() - start
        result.extra["auth_s"] = f"{auth.duration_s:.2f}"
        return result

    def inspect(self, ctx: AgentContext, run: CliRun, result: AgentResult) -> None:
        """Read cline's final ``run_result`` event: iterations become turns; an errored run is agent_error."""
        super().inspect(ctx, run, result)
        final = _run_result(run.stdout_tail)
        if final is None:
            if result.status == "ok":
                result.extra["run_result"] = "missing"
            return
        iterations = final.get("iterations")
        if isinstance(iterations, int):
            result.turns = iterations
        finish = str(final.get("finishReason", ""))
        result.extra["finish_reason"] = finish
        if result.status == "ok" and finish in FAILED_FINISH:
            text = str(final.get("text") or final.get("error") or "")[:300]
            result.status = "agent_error"
            result.reason = f"cline finished with {finish!r}: {text}".rstrip(": ")


def _run_result(stdout: str) -> dict[str, Any] | None:
    """The last ``{"type": "run_result", …}`` JSON line of cline's ``--json`` output."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{") or '"run_result"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("type") == "run_result":
            return event
    return None
