"""The offline default backend: an OpenAI-compatible server that plays a model of configurable skill.

For the cell's task it answers, in the dialect of the cell's agent, either the reference solution or a
plausible wrong one (the decoy, else the untouched starting files). Whether it is right is a hash draw
over (task, call, seed, tier) — not the strategy: common random numbers — against
``config.scripted.<tier>.<difficulty>``, so sweeps replay exactly.
Token counts are real tiktoken counts of the real text, latency follows a per-tier tokens/s model, and
faults (500, 429, broken JSON, cut streams, dropped connections, stalls past the read timeout) can be
injected to exercise every error path for real.

The server knows models, not agents or scoring: how to speak to an agent (``dialects``) and how to play
the review judge (``judge``) are handed to `create_app` by its caller.

Routes, for ``tier`` in local|cloud (the routing proxy forwards to ``<url>/<tier>/v1`` like to any
upstream; the ``/cells/<cell_id>`` form lets tests and agents use it directly without the proxy)::

    POST /{tier}/v1/chat/completions      POST /{tier}/cells/{cell_id}/v1/chat/completions
    GET  /{tier}/v1/models                GET  /{tier}/cells/{cell_id}/v1/models
    POST /{tier}/v1/embeddings            POST /{tier}/cells/{cell_id}/v1/embeddings
    PUT  /scripts/{task_id}               a test cell's reference and decoy answers (scripted_tests)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from pytest_hybrid_eval.agents.dialect import Dialect, PlainDialect
from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.tokens import content_text
from pytest_hybrid_eval.simulator import skill, wire
from pytest_hybrid_eval.simulator.embeddings import EMBED_DIM, embed, embedding_inputs
from pytest_hybrid_eval.simulator.judging import JudgeRole, judge_reply
from pytest_hybrid_eval.simulator.scripted_tests import SCRIPTS_ROUTE, ScriptBook
from pytest_hybrid_eval.simulator.scripted_tests import answer as test_answer
from pytest_hybrid_eval.simulator.transport import (
    BadRequest,
    client_gone,
    error_response,
    json_errors,
    refuse,
    send_cut_body,
    send_stream,
)
from pytest_hybrid_eval.tasks.model import Task

__all__ = ["BACKEND_KEY", "STALL_MARGIN_S", "DialectLookup", "create_app"]

TIERS = ("local", "cloud")
#: A stall lasts the configured read timeout plus this margin: long enough that a client honouring
#: ``timeouts.read_s`` gives up first, short enough that one whose timeout is off still gets its answer.
STALL_MARGIN_S = 1.0
_STALL_POLL_S = 0.05  # how quickly a stalled handler notices that its client went away

#: The dialect of an agent name, or None when the agent has none (it is then answered in `PlainDialect`).
DialectLookup = Callable[[str], Dialect | None]


class _Scripted:
    """Request handlers plus the little state they share (cached task files, fault attempt counters).

    ``stalls`` counts how stalls ended (``answered`` late, or ``abandoned`` because the client left), so
    a test can see that a stalled handler does not outlive its client.
    """

    def __init__(self, config: SweepConfig, tasks: dict[str, Task], dialects: DialectLookup,
                 judge: JudgeRole) -> None:
        self.config = config
        self.tasks = dict(tasks)
        self.dialects = dialects
        self.judge = judge
        self.test_scripts = ScriptBook()  # test cells' answers, registered by the plugin
        self._files: dict[tuple[str, bool], dict[str, str]] = {}
        self._attempts: dict[tuple[str, int, str, str], int] = {}
        self.stalls = {"started": 0, "answered": 0, "abandoned": 0}

    # request parsing ------------------------------------------------------------------------------------
    def _tier(self, request: web.Request) -> str:
        tier = request.match_info["tier"]
        if tier not in TIERS:
            raise BadRequest(404, f"unknown tier {tier!r}; valid tiers: {', '.join(TIERS)}")
        return tier

    def _model_id(self, tier: str) -> str:
        return f"scripted-{tier}:{getattr(self.config.models, tier).name}"

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json(loads=json.loads)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest(400, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest(400, "request body must be a JSON object")
        return body

    def _cell(self, request: web.Request) -> Cell | None:
        cell_id = request.headers.get("X-Hybrid-Cell") or request.match_info.get("cell_id")
        if not cell_id:
            return None
        try:
            return Cell.parse(cell_id)
        except HybridEvalError as exc:
            raise BadRequest(400, str(exc)) from None

    def _task(self, cell: Cell | None) -> Task | None:
        if cell is None:
            return None
        task = self.tasks.get(cell.task_id)
        if task is None and self.test_scripts.get(cell.task_id) is None:
            raise BadRequest(404, f"unknown task {cell.task_id!r} in cell {cell.id!r}; this backend serves "
                                  f"{len(self.tasks)} task(s): {', '.join(sorted(self.tasks)) or '(none)'}")
        return task

    def _files_for(self, task: Task, correct: bool) -> dict[str, str]:
        key = (task.id, correct)
        if key not in self._files:
            if correct:
                files = task.reference_files()
            else:
                # decoy files override the starting files they exist for; the others stay as they were
                files = task.starting_files()
                decoy = task.decoy_files() or {}
                files.update({rel: text for rel, text in decoy.items() if (task.decoy_dir / rel).is_file()})
            self._files[key] = files
        return dict(self._files[key])

    # chat -----------------------------------------------------------------------------------------------
    async def chat(self, request: web.Request) -> web.StreamResponse:
        tier = self._tier(request)
        body = await self._body(request)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise BadRequest(400, "'messages' must be a non-empty list of message objects")
        tools = body.get("tools") or []
        if not isinstance(tools, list):
            raise BadRequest(400, "'tools' must be a list")
        cell = self._cell(request)
        task = self._task(cell)
        call_index = self._call_index(request, messages)
        cell_id = cell.id if cell else ""

        # A helper request (the proxy's classifier call, marked X-Hybrid-Aux) counts its own attempts and
        # draws its own faults, so it never shifts the fault sequence of the call it was made for.
        purpose = request.headers.get("X-Hybrid-Aux", "").strip().lower()
        attempt_key = (cell_id, call_index, tier, purpose)
        attempt = self._attempts.get(attempt_key, 0)
        self._attempts[attempt_key] = attempt + 1
        fault = skill.fault_for(self.config.scripted.fault_rate, cell_id, call_index, tier, attempt, purpose)
        if fault == "http_500":
            return error_response(500, "scripted fault: the model server failed", "server_error")
        if fault == "http_429":
            return error_response(429, "scripted fault: rate limited", "rate_limit_error",
                                  headers={"Retry-After": "0"})
        if fault == "conn_refused":
            return refuse(request)
        if fault == "read_stall" and not await self._stall(request):
            return refuse(request)

        message, info = self._answer(request, messages, tools, cell, task, call_index, tier)
        message = wire.normalise(message, f"{cell_id}|{call_index}|{tier}")
        usage = wire.usage_for(body, message)
        speed = getattr(self.config.scripted, f"{tier}_speed")
        modelled = skill.modelled_ms(speed, usage["completion_tokens"])
        headers = {"X-Scripted-Modelled-Ms": f"{modelled:.1f}", **info}
        reply_id = "chatcmpl-" + hashlib.sha256(f"{cell_id}|{call_index}|{tier}|{attempt}".encode()).hexdigest()[:24]
        meta = {"id": reply_id, "created": int(time.time()), "model": self._model_id(tier)}
        scale = self.config.scripted.latency_scale

        if body.get("stream"):
            opts = body.get("stream_options") or {}
            include_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
            chunks = wire.stream_chunks(meta, message, usage, include_usage)
            pauses = (speed.ttft_ms * scale / 1000.0, (modelled - speed.ttft_ms) * scale / 1000.0)
            return await send_stream(request, headers, chunks, pauses, fault)

        if scale > 0:
            await asyncio.sleep(modelled * scale / 1000.0)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        payload = {**meta, "object": "chat.completion", "system_fingerprint": "scripted",
                   "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                   "usage": usage}
        raw = json.dumps(payload).encode("utf-8")
        if fault == "bad_json":
            return web.Response(body=raw[: max(1, len(raw) // 2)], status=200, headers=headers,
                                content_type="application/json")
        if fault == "stream_cut":
            return await send_cut_body(request, headers, raw)
        return web.Response(body=raw, status=200, headers=headers, content_type="application/json")

    def _answer(self, request: web.Request, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                cell: Cell | None, task: Task | None, call_index: int, tier: str
                ) -> tuple[dict[str, Any], dict[str, str]]:
        """What the model says to this conversation, and the ``X-Scripted-*`` headers describing it.

        In order: a review judge's verdicts, a router classifier's label, a refusal without a cell, the
        agent's "done", or the task's files (right or wrong by the skill draw) in the agent's dialect.
        """
        cell_id = cell.id if cell else ""
        seed = cell.seed if cell else 0
        system = " ".join(content_text(m.get("content")) for m in messages if m.get("role") == "system")
        flagged = request.headers.get("X-Hybrid-Aux", "").lower()
        judge_request = self.judge.read(
            system, "\n".join(content_text(m.get("content")) for m in messages if m.get("role") == "user"), flagged == "judge")
        if judge_request is not None:
            text = judge_reply(self.judge, task, judge_request, self.config.scripted.classifier_error_rate,
                               cell_id=cell_id, call_index=call_index, seed=seed, tier=tier)
            return {"role": "assistant", "content": text}, {"X-Scripted-Kind": "judge"}
        if flagged == "classifier" or ("SIMPLE" in system and "COMPLEX" in system):
            difficulty = task.difficulty if task else None
            label = skill.classifier_label(difficulty, self.config.scripted.classifier_error_rate, cell_id,
                                           call_index, seed, tier)
            return {"role": "assistant", "content": label}, {"X-Scripted-Kind": "classifier"}
        script = self.test_scripts.get(cell.task_id) if cell is not None and task is None else None
        if script is not None and cell is not None:
            return test_answer(self.config, script, cell, call_index, tier)
        if task is None or cell is None:
            return {"role": "assistant", "content": (
                "I cannot tell which task this conversation belongs to. Send the header X-Hybrid-Cell "
                "or call /<tier>/cells/<cell_id>/v1/chat/completions.")}, {"X-Scripted-Kind": "no-cell"}
        dialect = self.dialects(cell.agent) or PlainDialect()
        if dialect.is_done(messages):
            return dialect.done_message(messages), {"X-Scripted-Kind": "done"}
        correct = skill.answers_correctly(getattr(self.config.scripted, tier), task.difficulty, cell_id,
                                          call_index, seed, tier)
        files = self._files_for(task, correct)
        message = dialect.reply(messages, tools, files, request.headers.get("X-Hybrid-Workspace"))
        return message, {"X-Scripted-Kind": "answer", "X-Scripted-Correct": "1" if correct else "0"}

    async def _stall(self, request: web.Request) -> bool:
        """Say nothing for ``timeouts.read_s`` + `STALL_MARGIN_S`; False when the client left meanwhile.

        A client that honours the read timeout gives up first; the handler must then end too, or every
        stall would hold a task and a socket for its full length. Hosts that enable aiohttp's handler
        cancellation (the sweep's service does) cancel the sleep; under any other host the handler
        watches its transport and stops within `_STALL_POLL_S` of the disconnect.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeouts.read_s + STALL_MARGIN_S
        self.stalls["started"] += 1
        try:
            while (left := deadline - loop.time()) > 0:
                if client_gone(request):
                    self.stalls["abandoned"] += 1
                    return False
                await asyncio.sleep(min(_STALL_POLL_S, left))
        except asyncio.CancelledError:
            self.stalls["abandoned"] += 1
            raise
        self.stalls["answered"] += 1
        return True

    @staticmethod
    def _call_index(request: web.Request, messages: list[dict[str, Any]]) -> int:
        raw = request.headers.get("X-Hybrid-Call")
        if raw is None:
            # without the proxy's counter, the number of earlier assistant turns identifies the call
            return sum(1 for m in messages if m.get("role") == "assistant")
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(400, f"X-Hybrid-Call must be an integer, got {raw!r}") from None

    # models and embeddings ------------------------------------------------------------------------------
    async def models(self, request: web.Request) -> web.Response:
        tier = self._tier(request)
        entry = {"id": self._model_id(tier), "object": "model", "created": 0, "owned_by": "scripted"}
        return web.json_response({"object": "list", "data": [entry]})

    async def embeddings(self, request: web.Request) -> web.Response:
        tier = self._tier(request)
        body = await self._body(request)
        texts = embedding_inputs(body.get("input"))
        dims = body.get("dimensions", EMBED_DIM)
        if not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= 4096:
            raise BadRequest(400, "'dimensions' must be an integer between 1 and 4096")
        data = [{"object": "embedding", "index": i, "embedding": embed(text, dims)} for i, text in enumerate(texts)]
        count = sum(wire.count_tokens(t) for t in texts)
        return web.json_response({"object": "list", "data": data, "model": self._model_id(tier),
                                  "usage": {"prompt_tokens": count, "total_tokens": count}})


#: The handlers' shared state on the app (``app[BACKEND_KEY].stalls``), for tests that watch faults end.
BACKEND_KEY = web.AppKey("scripted_backend", _Scripted)


def create_app(config: SweepConfig, tasks: dict[str, Task], *, dialects: DialectLookup,
               judge: JudgeRole) -> web.Application:
    """The scripted backend as an aiohttp application (serve it on loopback; see `server.ScriptedServer`)."""
    backend = _Scripted(config, tasks, dialects, judge)
    app = web.Application(middlewares=[json_errors], client_max_size=config.routing.max_body_bytes)
    app[BACKEND_KEY] = backend
    for prefix in ("/{tier}", "/{tier}/cells/{cell_id}"):
        app.router.add_post(prefix + "/v1/chat/completions", backend.chat)
        app.router.add_get(prefix + "/v1/models", backend.models)
        app.router.add_post(prefix + "/v1/embeddings", backend.embeddings)
    app.router.add_put(SCRIPTS_ROUTE, backend.test_scripts.put)
    return app
