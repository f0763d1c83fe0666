"""The built-in agent: a small, honest multi-turn coder over the OpenAI chat API.

Each turn it asks for complete files in one fixed format, writes only the task's editable files, runs
the visible tests in the sandbox and, if they fail, shows the model the output tail and asks again. It
never decides success (scoring does); it reports ``ok`` when it stopped normally, whatever the tests said.
Its dialect (what the scripted backend answers it) lives here too, so format and parser cannot drift.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from pathlib import PurePosixPath
from typing import Any

import httpx

from pytest_hybrid_eval import __version__
from pytest_hybrid_eval.agents.base import AgentContext, AgentResult
from pytest_hybrid_eval.agents.dialect import Message, fence_for, language_for
from pytest_hybrid_eval.sandbox.base import SandboxResult

__all__ = ["BuiltinAgent", "BuiltinDialect", "parse_files", "render_files"]

OUTPUT_TAIL_CHARS = 4000

SYSTEM_PROMPT = """\
You are a careful software engineer working in a small Python repository.
Change the files so that the task is solved and the tests pass.

Answer format (strict): for every file you change, write one line
FILE: <path relative to the repository root>
immediately followed by a fenced code block holding the COMPLETE new content of that file.
Write whole files, never diffs or fragments. You may only change the files the task names as editable.
Text outside these blocks is ignored."""


# -- the FILE: format -------------------------------------------------------------------------------------


def render_files(files: dict[str, str]) -> str:
    """``files`` in the built-in agent's answer format (the inverse of `parse_files`)."""
    blocks = []
    for path, content in files.items():
        fence = fence_for(content)
        body = content if content.endswith("\n") or not content else content + "\n"
        blocks.append(f"FILE: {path}\n{fence}{language_for(path)}\n{body}{fence}")
    return "\n\n".join(blocks)


_FILE_LINE = re.compile(r"^[ \t]*\**FILE:\**[ \t]*`?([^`\n]+?)`?[ \t]*$", re.MULTILINE)
_FENCE_OPEN = re.compile(r"[ \t]*(`{3,}|~{3,})[^\n]*\n")


def parse_files(text: str) -> dict[str, str]:
    """Every ``FILE: <path>`` line followed by a fenced block -> {path: content}; the last one wins.

    The closing fence must be at least as long as the opening one (CommonMark), so a file that itself
    contains a triple-backtick fence survives when the writer used a longer fence.
    """
    files: dict[str, str] = {}
    for match in _FILE_LINE.finditer(text):
        rest = text[match.end() + 1 :]
        opening = _FENCE_OPEN.match(rest)
        if not opening:
            continue
        fence = opening.group(1)
        body_start = opening.end()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(rest, body_start)
        if end is None:
            continue
        files[match.group(1).strip()] = rest[body_start : end.start()]
    return files


def safe_relative(path: str) -> str | None:
    """The normalised relative path, or None when it is absolute or climbs out of the workspace."""
    if not path or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return None
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if any(p == ".." for p in parts):
        return None
    clean = "/".join(p for p in parts if p != ".")
    return clean or None


# -- the dialect the scripted backend uses for this agent ---------------------------------------------


class BuiltinDialect:
    """Answers every call with all files in the FILE: format; the agent itself decides when to stop."""

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        return {"role": "assistant", "content": render_files(files)}

    def is_done(self, messages: list[Message]) -> bool:
        return False

    def done_message(self, messages: list[Message]) -> Message:
        return {"role": "assistant", "content": "All requested files have been written."}


# -- the agent --------------------------------------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BuiltinAgent:
    name = "builtin"
    dialect = BuiltinDialect()

    def version(self) -> str | None:
        return __version__

    def install_hint(self) -> str:
        return "nothing to install: the built-in agent ships with pytest-hybrid-eval"

    def run(self, ctx: AgentContext) -> AgentResult:
        start = time.monotonic()
        deadline = start + ctx.timeout_s
        messages: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT},
                                   {"role": "user", "content": self._first_prompt(ctx)}]
        turns = 0
        last: SandboxResult | None = None
        extra: dict[str, str] = {}
        tests_s = 0.0  # time spent running visible tests: reported so harness overhead can be measured
        try:
            with httpx.Client(headers={"Authorization": f"Bearer {ctx.api_key}"}) as client:
                while turns < ctx.max_turns:
                    turns += 1
                    reply = self._ask(client, ctx, messages, deadline)
                    messages.append({"role": "assistant", "content": reply})
                    written, rejected = self._write(ctx, parse_files(reply))
                    if not written:
                        messages.append({"role": "user", "content": self._no_files_feedback(ctx, rejected)})
                        continue
                    if not (ctx.workspace / "tests").is_dir():
                        extra["visible_tests"] = "none"
                        break
                    last = self._run_tests(ctx, deadline)
                    tests_s += last.duration_s
                    extra["tests_ms"] = f"{tests_s * 1000:.1f}"
                    if last.exit_code == 0:
                        break
                    messages.append({"role": "user", "content": self._failure_feedback(last, rejected)})
        except _Stop as stop:
            return self._result(stop.status, start, turns, last, extra, stop.reason)
        if last is not None:
            extra["visible_tests"] = "pass" if last.exit_code == 0 else "fail"
            extra["last_exit_code"] = str(last.exit_code)
        return self._result("ok", start, turns, last, extra, None)

    # prompts --------------------------------------------------------------------------------------------
    @staticmethod
    def _first_prompt(ctx: AgentContext) -> str:
        parts = [ctx.task.prompt.strip(), "", "Editable files (current content):"]
        for rel in ctx.task.editable:
            path = ctx.workspace / rel
            content = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
            parts.append(render_files({rel: content}) if content else f"FILE: {rel}\n(does not exist yet)")
        tests_dir = ctx.workspace / "tests"
        if tests_dir.is_dir():
            parts += ["", "Visible tests (read-only; do not change them):"]
            for test in sorted(p for p in tests_dir.rglob("*") if p.is_file() and p.suffix == ".py"):
                rel = test.relative_to(ctx.workspace).as_posix()
                parts.append(render_files({rel: test.read_text(encoding="utf-8", errors="replace")}))
        return "\n".join(parts)

    @staticmethod
    def _no_files_feedback(ctx: AgentContext, rejected: list[str]) -> str:
        why = f" Rejected paths: {', '.join(rejected)}." if rejected else ""
        return ("Your answer contained no usable FILE blocks." + why + " Write each changed file as a line "
                f"'FILE: <path>' followed by a fenced block with its full content. Editable: {', '.join(ctx.task.editable)}.")

    @staticmethod
    def _failure_feedback(result: SandboxResult, rejected: list[str]) -> str:
        why = f"\nThese paths were not written (not editable or unsafe): {', '.join(rejected)}." if rejected else ""
        head = "The visible tests timed out." if result.timed_out else f"The visible tests failed (exit code {result.exit_code})."
        tail = result.output_tail[-OUTPUT_TAIL_CHARS:]
        return f"{head}{why}\nOutput (tail):\n```\n{tail}\n```\nFix the files and answer again with complete files."

    # actions --------------------------------------------------------------------------------------------
    @staticmethod
    def _ask(client: httpx.Client, ctx: AgentContext, messages: list[Message], deadline: float) -> str:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Stop("agent_timeout", f"no time left for the next call (budget {ctx.timeout_s:.0f}s)")
        body = {"model": ctx.model, "messages": messages, "temperature": 0, "seed": ctx.cell.seed}
        url = ctx.base_url.rstrip("/") + "/chat/completions"
        try:
            resp = client.post(url, json=body, timeout=remaining)
        except httpx.TimeoutException:
            raise _Stop("agent_timeout", f"model call still running at the {ctx.timeout_s:.0f}s budget") from None
        except httpx.HTTPError as exc:
            raise _Stop("backend_error", f"cannot reach the model at {url}: {type(exc).__name__}: {exc}") from None
        if resp.status_code >= 400:
            raise _Stop("backend_error", f"HTTP {resp.status_code} from the model: {_error_text(resp)}")
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Stop("backend_error", f"malformed chat completion body: {resp.text[:200]!r}") from None
        return content if isinstance(content, str) else ""

    @staticmethod
    def _write(ctx: AgentContext, files: dict[str, str]) -> tuple[list[str], list[str]]:
        """Write the editable files among ``files``; return (written, rejected) paths."""
        editable = {safe_relative(p) for p in ctx.task.editable}
        root = ctx.workspace.resolve()
        written, rejected = [], []
        for raw, content in files.items():
            rel = safe_relative(raw)
            target = (root / rel).resolve() if rel else None
            if rel is None or rel not in editable or target is None or not target.is_relative_to(root):
                rejected.append(raw)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            written.append(rel)
        return written, rejected

    @staticmethod
    def _run_tests(ctx: AgentContext, deadline: float) -> SandboxResult:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Stop("agent_timeout", f"no time left to run the visible tests (budget {ctx.timeout_s:.0f}s)")
        wall = min(ctx.test_timeout_s, remaining)
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(ctx.home),
               "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib", "tests"]
        try:
            limits = dataclasses.replace(ctx.caps, wall_s=wall)  # the sweep's caps (sandbox.*), this run's clock
            result = ctx.sandbox.run(argv, cwd=ctx.workspace, limits=limits, env=env)
        except Exception as exc:  # a broken sandbox is reported, not raised into the test run
            raise _Stop("agent_error", f"sandbox {getattr(ctx.sandbox, 'kind', '?')} failed: {exc}") from None
        if result.timed_out and time.monotonic() >= deadline:
            raise _Stop("agent_timeout", f"visible tests still running at the {ctx.timeout_s:.0f}s budget")
        return result

    def _result(self, status: str, start: float, turns: int, last: SandboxResult | None,
                extra: dict[str, str], reason: str | None) -> AgentResult:
        return AgentResult(status=status, version=__version__, reason=reason, turns=turns,  # type: ignore[arg-type]
                           duration_s=time.monotonic() - start,
                           stdout_tail=last.output_tail[-OUTPUT_TAIL_CHARS:] if last else "", extra=extra)


def _error_text(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    return resp.text[:200] or resp.reason_phrase

