"""The offline default backend: an OpenAI-compatible server that plays a model of configurable skill.

For the cell's task it answers, in the dialect of the cell's agent, either the reference solution or a
plausible wrong one (the decoy, else the untouched starting files). Whether it is right is a hash draw
over (task, call, seed, tier) — not the strategy: common random numbers — against
``config.scripted.<tier>.<difficulty>``, so sweeps replay exactly.
Token counts are real tiktoken counts of the real text, latency follows a per-tier tokens/s model, and
faults (500, 429, broken JSON, cut streams, dropped connections, stalls past the read timeout) can be
injected to exercise every error path for real.

Routes, for ``tier`` in local|cloud (the routing proxy forwards to ``<url>/<tier>/v1`` like to any
upstream; the ``/cells/<cell_id>`` form lets tests and agents use it directly without the proxy)::

    POST /{tier}/v1/chat/completions      POST /{tier}/cells/{cell_id}/v1/chat/completions
    GET  /{tier}/v1/models                GET  /{tier}/cells/{cell_id}/v1/models
    POST /{tier}/v1/embeddings            POST /{tier}/cells/{cell_id}/v1/embeddings
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from pytest_hybrid_eval.agents.dialect import Dialect, PlainDialect, get_dialect, message_text
from pytest_hybrid_eval.backends import skill
from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing import tokens
from pytest_hybrid_eval.tasks.model import Task

__all__ = ["BACKEND_KEY", "STALL_MARGIN_S", "ScriptedServer", "completion_text", "count_tokens", "create_scripted_app", "embed", "prompt_tokens"]

TIERS = ("local", "cloud")
EMBED_DIM = 256
_STREAM_PIECES = 6  # content is streamed in about this many deltas, like a real model's token bursts
_CUT_AFTER = 3  # a cut stream closes after this many chunks
#: A stall lasts the configured read timeout plus this margin: long enough that a client honouring
#: ``timeouts.read_s`` gives up first, short enough that one whose timeout is off still gets its answer.
STALL_MARGIN_S = 1.0
_STALL_POLL_S = 0.05  # how quickly a stalled handler notices that its client went away


# -- tokens -----------------------------------------------------------------------------------------------


def count_tokens(text: str) -> int:
    """Real cl100k token count (shared tokenizer; special-token look-alikes count as plain text)."""
    return tokens.count_text(text)


def prompt_tokens(body: dict[str, Any]) -> int:
    """Prompt tokens as an OpenAI server reports them: the chat messages with framing, plus the tools JSON."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    return tokens.count_messages(messages) + count_tokens(tools_text(body))


def tools_text(body: dict[str, Any]) -> str:
    """The tools declaration as the model would read it (canonical compact JSON; '' without tools)."""
    return json.dumps(body["tools"], sort_keys=True, separators=(",", ":")) if body.get("tools") else ""


def completion_text(message: dict[str, Any]) -> str:
    """The text whose tokens are the completion: the reply content plus each tool call's name and args."""
    parts = [message.get("content") or ""]
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
    return "\n".join(p for p in parts if p)


# -- errors -----------------------------------------------------------------------------------------------


def _error(status: int, message: str, err_type: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": err_type, "code": status}}
    return web.json_response(body, status=status, headers=headers)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@web.middleware
async def _json_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
    """Clients of an OpenAI API parse error bodies as JSON, so routing errors are JSON too."""
    try:
        return await handler(request)
    except _BadRequest as exc:
        return _error(exc.status, str(exc), "invalid_request_error" if exc.status == 400 else "not_found")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, f"{exc.reason}: {request.method} {request.path}", "invalid_request_error")


# -- the backend ------------------------------------------------------------------------------------------


class _Scripted:
    """Request handlers plus the little state they share (cached task files, fault attempt counters).

    ``stalls`` counts how stalls ended (``answered`` late, or ``abandoned`` because the client left), so
    a test can see that a stalled handler does not outlive its client.
    """

    def __init__(self, config: SweepConfig, tasks: dict[str, Task]) -> None:
        self.config = config
        self.tasks = dict(tasks)
        self._files: dict[tuple[str, bool], dict[str, str]] = {}
        self._attempts: dict[tuple[str, int, str, str], int] = {}
        self.stalls = {"started": 0, "answered": 0, "abandoned": 0}

    # request parsing ------------------------------------------------------------------------------------
    def _tier(self, request: web.Request) -> str:
        tier = request.match_info["tier"]
        if tier not in TIERS:
            raise _BadRequest(404, f"unknown tier {tier!r}; valid tiers: {', '.join(TIERS)}")
        return tier

    def _model_id(self, tier: str) -> str:
        return f"scripted-{tier}:{getattr(self.config.models, tier).name}"

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json(loads=json.loads)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _BadRequest(400, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _BadRequest(400, "request body must be a JSON object")
        return body

    def _cell(self, request: web.Request) -> Cell | None:
        cell_id = request.headers.get("X-Hybrid-Cell") or request.match_info.get("cell_id")
        if not cell_id:
            return None
        try:
            return Cell.parse(cell_id)
        except HybridEvalError as exc:
            raise _BadRequest(400, str(exc)) from None

    def _task(self, cell: Cell | None) -> Task | None:
        if cell is None:
            return None
        task = self.tasks.get(cell.task_id)
        if task is None:
            raise _BadRequest(404, f"unknown task {cell.task_id!r} in cell {cell.id!r}; this backend serves "
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
            raise _BadRequest(400, "'messages' must be a non-empty list of message objects")
        tools = body.get("tools") or []
        if not isinstance(tools, list):
            raise _BadRequest(400, "'tools' must be a list")
        cell = self._cell(request)
        task = self._task(cell)
        call_index = self._call_index(request, messages)
        cell_id = cell.id if cell else ""
        seed = cell.seed if cell else 0

        # A helper request (the proxy's classifier call, marked X-Hybrid-Aux) counts its own attempts and
        # draws its own faults, so it never shifts the fault sequence of the call it was made for.
        purpose = request.headers.get("X-Hybrid-Aux", "").strip().lower()
        attempt_key = (cell_id, call_index, tier, purpose)
        attempt = self._attempts.get(attempt_key, 0)
        self._attempts[attempt_key] = attempt + 1
        fault = skill.fault_for(self.config.scripted.fault_rate, cell_id, call_index, tier, attempt, purpose)
        if fault == "http_500":
            return _error(500, "scripted fault: the model server failed", "server_error")
        if fault == "http_429":
            return _error(429, "scripted fault: rate limited", "rate_limit_error", headers={"Retry-After": "0"})
        if fault == "conn_refused":
            return _refuse(request)
        if fault == "read_stall" and not await self._stall(request):
            return _refuse(request)

        info: dict[str, str] = {}
        judge_request = self._judge_request(request, messages)
        if judge_request is not None:
            message = {"role": "assistant", "content": self._judge_answer(task, judge_request, cell_id,
                                                                          call_index, seed, tier)}
            info["X-Scripted-Kind"] = "judge"
        elif self._is_classifier(request, messages):
            difficulty = task.difficulty if task else None
            label = skill.classifier_label(difficulty, self.config.scripted.classifier_error_rate, cell_id,
                                           call_index, seed, tier)
            message: dict[str, Any] = {"role": "assistant", "content": label}
            info["X-Scripted-Kind"] = "classifier"
        elif task is None or cell is None:
            message = {"role": "assistant", "content": (
                "I cannot tell which task this conversation belongs to. Send the header X-Hybrid-Cell "
                "or call /<tier>/cells/<cell_id>/v1/chat/completions.")}
            info["X-Scripted-Kind"] = "no-cell"
        else:
            dialect: Dialect = get_dialect(cell.agent) or PlainDialect()
            if dialect.is_done(messages):
                message = dialect.done_message(messages)
                info["X-Scripted-Kind"] = "done"
            else:
                correct = skill.answers_correctly(getattr(self.config.scripted, tier), task.difficulty, cell_id,
                                                  call_index, seed, tier)
                files = self._files_for(task, correct)
                message = dialect.reply(messages, tools, files, request.headers.get("X-Hybrid-Workspace"))
                info["X-Scripted-Kind"] = "answer"
                info["X-Scripted-Correct"] = "1" if correct else "0"
        message = _normalise(message, f"{cell_id}|{call_index}|{tier}")

        usage = {"prompt_tokens": prompt_tokens(body),
                 "completion_tokens": count_tokens(completion_text(message))}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        speed = getattr(self.config.scripted, f"{tier}_speed")
        modelled = skill.modelled_ms(speed, usage["completion_tokens"])
        headers = {"X-Scripted-Modelled-Ms": f"{modelled:.1f}", **info}
        reply_id = "chatcmpl-" + hashlib.sha256(f"{cell_id}|{call_index}|{tier}|{attempt}".encode()).hexdigest()[:24]
        meta = {"id": reply_id, "created": int(time.time()), "model": self._model_id(tier)}
        scale = self.config.scripted.latency_scale

        if body.get("stream"):
            opts = body.get("stream_options") or {}
            include_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
            chunks = _stream_chunks(meta, message, usage, include_usage)
            pauses = (speed.ttft_ms * scale / 1000.0, (modelled - speed.ttft_ms) * scale / 1000.0)
            return await _send_stream(request, headers, chunks, pauses, fault)

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
            return await _send_cut_body(request, headers, raw)
        return web.Response(body=raw, status=200, headers=headers, content_type="application/json")

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
                if _client_gone(request):
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
            raise _BadRequest(400, f"X-Hybrid-Call must be an integer, got {raw!r}") from None

    @staticmethod
    def _is_classifier(request: web.Request, messages: list[dict[str, Any]]) -> bool:
        if request.headers.get("X-Hybrid-Aux", "").lower() == "classifier":
            return True
        system = " ".join(message_text(m) for m in messages if m.get("role") == "system")
        return "SIMPLE" in system and "COMPLEX" in system

    # the review judge ------------------------------------------------------------------------------------
    @staticmethod
    def _judge_request(request: web.Request, messages: list[dict[str, Any]]
                       ) -> tuple[list[tuple[str, str]], str] | None:
        """The (kind, name) items and the review of a judge request, or None when it is not one.

        A judge request is recognised by the ``X-Hybrid-Aux: judge`` header (direct calls) or by the fixed
        judge prompt's phrase (the proxy forwards bodies, not client headers); it is read from the prompt
        text as a model would read it.
        """
        from pytest_hybrid_eval.judge import JUDGE_MARKER, split_user_message  # lazy: judge imports scoring

        system = " ".join(message_text(m) for m in messages if m.get("role") == "system")
        if request.headers.get("X-Hybrid-Aux", "").lower() != "judge" and JUDGE_MARKER not in system:
            return None
        user = "\n".join(message_text(m) for m in messages if m.get("role") == "user")
        return split_user_message(user) or ([], "")

    def _judge_answer(self, task: Task | None, request: tuple[list[tuple[str, str]], str], cell_id: str,
                      call_index: int, seed: int, tier: str) -> str:
        """A judge's JSON reply: each listed item judged by the task's own rubric rule on the review text.

        So the scripted judge agrees with the deterministic rubric, except that each verdict is flipped
        with probability ``scripted.classifier_error_rate`` (a draw per cell, call, seed, tier and item):
        the two orders are different calls, so an error rate above 0 produces real order disagreements.
        Items the rubric does not know (or a request without a task) are judged not present.
        """
        from pytest_hybrid_eval.errors import TaskError
        from pytest_hybrid_eval.rubric import normalise, task_rubric

        items, review = request
        rules: dict[str, Any] = {}
        if task is not None and task.scorer == "rubric":
            try:
                rubric = task_rubric(task)
                rules = {r.name: r for r in [*rubric.findings, *rubric.penalties]}
            except TaskError:
                rules = {}
        body = normalise(review)
        verdicts = []
        for _kind, name in items:
            rule = rules.get(name)
            present = bool(body) and rule is not None and rule.matches(body)
            if skill.draw("judge", skill.situation(cell_id), call_index, seed, tier, name) < self.config.scripted.classifier_error_rate:
                present = not present
            evidence = ""
            if present and rule is not None:
                hit = rule._compiled[0].search(body)
                if hit:
                    evidence = body[max(0, hit.start() - 60): hit.end() + 60].strip()[:200]
            verdicts.append({"item": name, "present": present, "evidence": evidence})
        return "```json\n" + json.dumps({"verdicts": verdicts}, indent=1) + "\n```"

    # models and embeddings ------------------------------------------------------------------------------
    async def models(self, request: web.Request) -> web.Response:
        tier = self._tier(request)
        entry = {"id": self._model_id(tier), "object": "model", "created": 0, "owned_by": "scripted"}
        return web.json_response({"object": "list", "data": [entry]})

    async def embeddings(self, request: web.Request) -> web.Response:
        tier = self._tier(request)
        body = await self._body(request)
        raw = body.get("input")
        texts = _embedding_inputs(raw)
        dims = body.get("dimensions", EMBED_DIM)
        if not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= 4096:
            raise _BadRequest(400, "'dimensions' must be an integer between 1 and 4096")
        data = [{"object": "embedding", "index": i, "embedding": embed(text, dims)} for i, text in enumerate(texts)]
        tokens = sum(count_tokens(t) for t in texts)
        return web.json_response({"object": "list", "data": data, "model": self._model_id(tier),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _embedding_inputs(raw: Any) -> list[str]:
    """OpenAI accepts a string, a list of strings, a token list, or a list of token lists."""
    def one(item: Any) -> str:
        if isinstance(item, str):
            return item
        if isinstance(item, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in item):
            try:
                return tokens.encoding().decode(item)
            except Exception:  # token ids out of range
                raise _BadRequest(400, "'input' contains invalid token ids") from None
        raise _BadRequest(400, "'input' must be a string, a list of strings or a list of token ids")

    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(t, int) and not isinstance(t, bool) for t in raw):
        return [one(raw)]
    if isinstance(raw, list) and raw:
        return [one(item) for item in raw]
    raise _BadRequest(400, "'input' must be a non-empty string or list")


_WORD = re.compile(r"[a-z0-9_]+")


def embed(text: str, dims: int = EMBED_DIM) -> list[float]:
    """Hashed bag of words: each lower-cased word adds ±1 to a hashed slot; the result has unit length.

    Texts sharing words get a positive cosine, which is all a kNN router needs to behave sensibly
    offline; the empty text maps to the zero vector (no direction to normalise).
    """
    vec = [0.0] * dims
    for word in _WORD.findall(text.lower()):
        digest = hashlib.sha256(word.encode("utf-8")).digest()
        slot = int.from_bytes(digest[:4], "big") % dims
        vec[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec))
    return [v / norm for v in vec] if norm else vec


# -- reply shaping ----------------------------------------------------------------------------------------


def _normalise(message: dict[str, Any], id_seed: str) -> dict[str, Any]:
    """An assistant message as OpenAI returns it: role, content (None only with tool calls), call ids."""
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
    calls = []
    for i, call in enumerate(message.get("tool_calls") or []):
        fn = call.get("function") or {}
        args = fn.get("arguments", "{}")
        if not isinstance(args, str):
            args = json.dumps(args)
        call_id = call.get("id") or "call_" + hashlib.sha256(f"{id_seed}|{i}".encode()).hexdigest()[:20]
        calls.append({"id": call_id, "type": "function", "function": {"name": fn.get("name", ""), "arguments": args}})
    if calls:
        out["tool_calls"] = calls
    elif out["content"] is None:
        out["content"] = ""
    return out


def _pieces(text: str, n: int = _STREAM_PIECES) -> list[str]:
    if not text:
        return []
    size = max(1, math.ceil(len(text) / n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _stream_chunks(meta: dict[str, Any], message: dict[str, Any], usage: dict[str, int],
                   include_usage: bool) -> list[dict[str, Any]]:
    """The chat.completion.chunk sequence of one reply (the usage-only chunk only when asked for)."""
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out = {**meta, "object": "chat.completion.chunk", "system_fingerprint": "scripted",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if include_usage:
            out["usage"] = None
        return out

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in _pieces(message.get("content") or "")]
    for i, call in enumerate(message.get("tool_calls") or []):
        fn = call["function"]
        chunks.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                             "function": {"name": fn["name"], "arguments": ""}}]}))
        chunks += [chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                   for piece in _pieces(fn["arguments"])]
    chunks.append(chunk({}, "tool_calls" if message.get("tool_calls") else "stop"))
    if include_usage:
        chunks.append({**meta, "object": "chat.completion.chunk", "system_fingerprint": "scripted",
                       "choices": [], "usage": usage})
    return chunks


async def _send_stream(request: web.Request, headers: dict[str, str], chunks: list[dict[str, Any]],
                       pauses: tuple[float, float], fault: skill.FaultKind | None) -> web.StreamResponse:
    """Server-sent events: one ``data:`` line per chunk, then ``[DONE]``.

    Faults: ``stream_cut`` closes the connection after a few chunks; ``bad_json`` sends one event whose
    data is truncated JSON (the rest of the stream is intact, as with a buggy upstream).
    """
    resp = web.StreamResponse(status=200, headers={**headers, "Content-Type": "text/event-stream",
                                                   "Cache-Control": "no-cache"})
    await resp.prepare(request)
    first_pause, generation = pauses
    if first_pause > 0:
        await asyncio.sleep(first_pause)
    step = generation / max(1, len(chunks) - 1)
    for i, chunk in enumerate(chunks):
        if fault == "stream_cut" and i == _CUT_AFTER:
            _abort(request)
            return resp
        if i and step > 0:
            await asyncio.sleep(step)
        data = json.dumps(chunk).encode("utf-8")
        if fault == "bad_json" and i == 1:
            data = data[: len(data) // 2]
        await resp.write(b"data: " + data + b"\n\n")
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


async def _send_cut_body(request: web.Request, headers: dict[str, str], raw: bytes) -> web.StreamResponse:
    """A non-streamed reply that promises the full length and stops half-way (a dropped connection)."""
    resp = web.StreamResponse(status=200, headers={**headers, "Content-Type": "application/json"})
    resp.content_length = len(raw)
    await resp.prepare(request)
    await resp.write(raw[: len(raw) // 2])
    _abort(request)
    return resp


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _refuse(request: web.Request) -> web.Response:
    """Drop the connection without a status line: the client sees a connection error, not an HTTP reply.

    (A real refusal happens at connect time, before the server knows the cell and call; dropping the
    connection once the request is read is the closest a server can come while staying deterministic
    per call, and it looks the same to a client: no response at all.) aiohttp's attempt to send the
    returned placeholder fails on the closed transport and is dropped quietly as a client disconnect.
    """
    _abort(request)
    return web.Response(status=503)


# -- app and a thread-hosted server ---------------------------------------------------------------------

#: The handlers' shared state on the app (``app[BACKEND_KEY].stalls``), for tests that watch faults end.
BACKEND_KEY = web.AppKey("scripted_backend", _Scripted)



def create_scripted_app(config: SweepConfig, tasks: dict[str, Task]) -> web.Application:
    """The scripted backend as an aiohttp application (serve it on loopback; see `ScriptedServer`)."""
    backend = _Scripted(config, tasks)
    app = web.Application(middlewares=[_json_errors], client_max_size=config.routing.max_body_bytes)
    app[BACKEND_KEY] = backend
    for prefix in ("/{tier}", "/{tier}/cells/{cell_id}"):
        app.router.add_post(prefix + "/v1/chat/completions", backend.chat)
        app.router.add_get(prefix + "/v1/models", backend.models)
        app.router.add_post(prefix + "/v1/embeddings", backend.embeddings)
    return app


class ScriptedServer:
    """Serve the scripted app on a loopback port from a background thread (tests, `hybrid-eval serve`).

    ``with ScriptedServer(config, tasks) as srv: srv.url`` -> ``http://127.0.0.1:<port>``; the tier path
    (``/local`` or ``/cloud``) follows.
    """

    def __init__(self, config: SweepConfig, tasks: dict[str, Task], host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = create_scripted_app(config, tasks)
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            self._runner = web.AppRunner(self.app, access_log=None)
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()

        def main() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(serve())
            except BaseException as exc:  # surfaced to the caller of start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=main, name="scripted-backend", daemon=True)
        self._thread.start()
        ready.wait(timeout=30)
        if failure:
            raise failure[0]
        return self.url

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=30)
        loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
