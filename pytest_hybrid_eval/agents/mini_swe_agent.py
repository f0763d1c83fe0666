"""The mini-swe-agent adapter (``mini``) and its dialect for the scripted backend.

mini-swe-agent is a bash-only agent: every model reply must carry one ``bash`` tool call (its default
"tool calling" mode), the command runs in a fresh subshell in the workspace, and the run ends when a
command prints ``COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT`` as its first line. Why the settings below:

- A config file of ours (``-c mini.yaml -c <home>/hybrid-eval.yaml``) instead of many ``-c key=value``:
  the proxy URL, dummy key, workspace and limits are then visible in one file next to the trajectory.
- ``agent.step_limit = 2 * max_turns``: mini's default is unlimited, and a model that never finishes
  would loop for as long as the wall clock allows (958 requests were measured). Each "turn" of the
  sweep's budget is allowed one command plus one look at its result.
- ``agent.wall_time_limit_seconds`` slightly below our hard timeout, so mini stops by itself and saves
  its trajectory; our process-group kill stays the backstop. A trajectory ending in ``TimeExceeded`` is
  reported as ``agent_timeout`` like a kill would be.
- ``agent.cost_limit = 0`` and ``MSWEA_COST_TRACKING=ignore_errors``: the proxy's model name has no price
  in litellm's table; cost is computed by us from tokens, not by the agent.
- ``MSWEA_CONFIGURED=true`` + ``MSWEA_GLOBAL_CONFIG_DIR`` under the private HOME: skip the first-run
  setup wizard (it would wait on stdin) and keep its config out of the user's home.
- ``LITELLM_LOCAL_MODEL_COST_MAP=True``: litellm otherwise downloads a price list at import and stalls.
- stdin is /dev/null, which mini treats as unattended: on a limit it saves and exits instead of asking.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from pytest_hybrid_eval.agents.base import AgentContext, AgentResult
from pytest_hybrid_eval.agents.cli_agent import CliAgent, CliRun
from pytest_hybrid_eval.agents.dialect import Message
from pytest_hybrid_eval.routing.tokens import content_text

__all__ = ["MiniSweAgent", "MiniSweDialect", "write_files_script"]

NAME = "mini-swe-agent"
SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"
_DELIM_BASE = "HYBRID_EVAL_EOF"
_TEXT_BLOCK = "mswea_bash_command"


def _delimiter(content: str) -> str:
    """A heredoc delimiter that is not a line of ``content`` (so the heredoc cannot end early)."""
    lines = {line.rstrip("\r") for line in content.splitlines()}
    n = 0
    while True:
        candidate = _DELIM_BASE if n == 0 else f"{_DELIM_BASE}_{n}"
        if candidate not in lines:
            return candidate
        n += 1


def write_files_script(files: dict[str, str]) -> str:
    """A bash script that writes every file byte for byte (quoted heredocs: no expansion inside).

    A heredoc always ends its text with a newline; a file without a final newline gets it removed
    again with ``truncate -s -1``.
    """
    parts = []
    for path, content in files.items():
        quoted = shlex.quote(path)
        parent = str(Path(path).parent)
        if parent not in ("", "."):
            parts.append(f"mkdir -p {shlex.quote(parent)}")
        if not content:
            parts.append(f": > {quoted}")
            continue
        delim = _delimiter(content)
        body = content if content.endswith("\n") else content + "\n"
        parts.append(f"cat > {quoted} <<'{delim}'\n{body}{delim}")
        if not content.endswith("\n"):
            parts.append(f"truncate -s -1 {quoted}")
    parts.append("echo files written")
    return "\n".join(parts)


def _has_bash_tool(tools: list[dict[str, Any]]) -> bool:
    return any(isinstance(t, dict) and (t.get("function") or {}).get("name") == "bash" for t in tools)


def _uses_text_blocks(messages: list[Message]) -> bool:
    """mini's text-based configs ask for ```mswea_bash_command blocks instead of tool calls."""
    return any(m.get("role") == "system" and _TEXT_BLOCK in content_text(m.get("content")) for m in messages)


def _commands_of(message: Message) -> list[str]:
    """The bash commands an assistant message issued (tool-call arguments or text blocks)."""
    commands = []
    for call in message.get("tool_calls") or []:
        args = (call.get("function") or {}).get("arguments") or ""
        try:
            parsed = json.loads(args) if isinstance(args, str) else args
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict) and isinstance(parsed.get("command"), str):
            commands.append(parsed["command"])
    commands += re.findall(r"```(?:bash|" + _TEXT_BLOCK + r")\s*\n(.*?)\n```", content_text(message.get("content")), re.DOTALL)
    return commands


class MiniSweDialect:
    """First call: one bash command writing all files; next call (after its result): the submit command.

    The reply shape follows the request: a ``bash`` tool call when the request declares that tool (mini's
    default), else a fenced command block in the form its system prompt asks for (text-based configs).
    """

    def _command_message(self, text: str, command: str, as_tool: bool, block: str) -> Message:
        if as_tool:
            return {"role": "assistant", "content": text,
                    "tool_calls": [{"type": "function",
                                    "function": {"name": "bash", "arguments": json.dumps({"command": command})}}]}
        return {"role": "assistant", "content": f"{text}\n\n```{block}\n{command}\n```"}

    def reply(self, messages: list[Message], tools: list[dict[str, Any]], files: dict[str, str],
              workspace_hint: str | None) -> Message:
        block = _TEXT_BLOCK if _uses_text_blocks(messages) else "bash"
        script = write_files_script(files)
        return self._command_message("I will write the complete new content of the files.", script,
                                     _has_bash_tool(tools), block)

    def is_done(self, messages: list[Message]) -> bool:
        """Done once an earlier assistant turn ran our file-writing command (its result is in the history)."""
        return any(m.get("role") == "assistant" and any(_DELIM_BASE in c or c.endswith("echo files written")
                                                        for c in _commands_of(m)) for m in messages)

    def done_message(self, messages: list[Message]) -> Message:
        as_tool = any(m.get("role") == "assistant" and m.get("tool_calls") for m in messages)
        block = _TEXT_BLOCK if _uses_text_blocks(messages) else "bash"
        return self._command_message("The files are written; submitting.", SUBMIT, as_tool, block)


class MiniSweAgent(CliAgent):
    """``mini`` in yolo mode with the local environment, one config file per cell under its private HOME."""

    name = NAME
    dialect = MiniSweDialect()

    def command(self, ctx: AgentContext, exe: Path) -> tuple[list[str], dict[str, str]]:
        home = ctx.home
        traj = home / "mini.traj.json"
        config_dir = home / "mini-swe-agent"
        config_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "agent": {
                "step_limit": max(2, 2 * ctx.max_turns),
                "cost_limit": 0,
                "wall_time_limit_seconds": max(5, int(ctx.timeout_s) - 10),
                "mode": "yolo",
                "confirm_exit": False,
                "output_path": str(traj),
            },
            "environment": {
                "environment_class": "local",
                "cwd": str(ctx.workspace.resolve()),
                "timeout": max(10, int(ctx.test_timeout_s)),
            },
            "model": {
                "model_class": "litellm",
                "model_name": f"openai/{ctx.model}",
                "cost_tracking": "ignore_errors",
                "model_kwargs": {"api_base": ctx.base_url, "api_key": ctx.api_key, "drop_params": True,
                                 "timeout": max(10, int(ctx.timeout_s))},
            },
        }
        # litellm has no entry for the proxy's model name: register a free one so it stops warning per call
        registry = home / "litellm-model-registry.json"
        registry.write_text(json.dumps({f"openai/{ctx.model}": {
            "max_tokens": 16384, "max_input_tokens": 128000, "max_output_tokens": 16384,
            "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "openai",
            "mode": "chat", "supports_function_calling": True}}))
        config["model"]["litellm_model_registry"] = str(registry)
        config_file = home / "hybrid-eval-mini.yaml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        argv = [str(exe), "-c", "mini.yaml", "-c", str(config_file), "-m", f"openai/{ctx.model}",
                "-t", _task_text(ctx), "--yolo", "--exit-immediately", "-o", str(traj)]
        env = {"OPENAI_API_KEY": ctx.api_key, "OPENAI_API_BASE": ctx.base_url,
               "MSWEA_GLOBAL_CONFIG_DIR": str(config_dir), "MSWEA_CONFIGURED": "true",
               "MSWEA_COST_TRACKING": "ignore_errors", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               "MSWEA_SILENT_STARTUP": "1", "PAGER": "cat"}
        return argv, env

    def inspect(self, ctx: AgentContext, run: CliRun, result: AgentResult) -> None:
        """Read turns and exit status from mini's trajectory; its own time limit counts as a timeout."""
        super().inspect(ctx, run, result)
        traj = ctx.home / "mini.traj.json"
        try:
            data = json.loads(traj.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result.extra["trajectory"] = "missing"
            return
        info = data.get("info") if isinstance(data, dict) else None
        info = info if isinstance(info, dict) else {}
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        calls = stats.get("api_calls")
        if isinstance(calls, int):
            result.turns = calls
        status = info.get("exit_status")
        if isinstance(status, str) and status:
            result.extra["exit_status"] = status
            if status == "TimeExceeded" and result.status == "ok":
                result.status = "agent_timeout"
                result.reason = f"mini-swe-agent stopped at its wall-time limit (cell budget {ctx.timeout_s:.0f}s)"
            elif status not in ("Submitted", "LimitsExceeded") and result.status == "ok":
                result.extra["exit_detail"] = str(info.get("submission") or "")[:300]


def _task_text(ctx: AgentContext) -> str:
    """The task as mini presents it: the prompt, plus which files may be changed (it has no file list)."""
    editable = ", ".join(ctx.task.editable)
    return (f"{ctx.task.prompt.strip()}\n\nThe repository is the current directory. Change only: {editable}. "
            "Visible tests are in tests/ (do not change them).")
