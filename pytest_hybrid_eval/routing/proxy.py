"""The routing proxy: an OpenAI-compatible aiohttp app that picks local or cloud for every call.

The path carries everything it needs (secret, cell id, strategy), so an agent only needs a base URL.
Replies pass through as they arrive; the proxy never edits content. The permitted edits are dropping
the usage-only SSE event that the proxy itself asked for when the client did not (only whole events are
dropped), and masking the proxy's own secrets (``redact``). Everything the proxy learns about a call goes into exactly one CallRecord in the ledger.

Stream relay: bytes are written per complete SSE event, so that the usage-only event (when the proxy
asked for it and the client did not) can be left out whole and every event can be redacted whole (see
``redact``: upstream keys never echo back); upstream servers write one event per flush, so in practice
the chunks are the ones the upstream wrote. Successful replies lose nothing but an exact upstream key.
Timing: ``ttft_ms`` and ``total_ms`` run from the moment the proxy holds the request body, so they
include decide time and retries, as the agent experiences them.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from pytest_hybrid_eval.backends.base import Backend, BackendUnavailable
from pytest_hybrid_eval.config import Retry, SweepConfig
from pytest_hybrid_eval.routing.budget import BUDGET_EXHAUSTED, BudgetGuard
from pytest_hybrid_eval.routing.guards import (
    error_response,
    guard_middleware,
    limit_problem,
    non_json_refusal,
)
from pytest_hybrid_eval.routing.ledger import Ledger
from pytest_hybrid_eval.routing.recorder import ReplayMiss
from pytest_hybrid_eval.routing.redact import RedactingLogFilter, Redactor, backend_secrets
from pytest_hybrid_eval.routing.strategies import (
    Decision,
    RouteRequest,
    Strategy,
    StrategyContext,
    get_strategy,
    strategy_names,
)
from pytest_hybrid_eval.routing.tokens import count_messages, count_text
from pytest_hybrid_eval.usage import AuxCall, CallRecord, TokenCounts

#: Ledger key of calls made without a cell in the path (standalone use); real cell ids contain dots.
STANDALONE_CELL = "standalone"
TIERS = ("local", "cloud")
_FORCE_SUFFIXES = {"!local": "local", "!cloud": "cloud"}
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_DONE = re.compile(rb"(?m)^data: ?\[DONE\]")
HEALTH_TIMEOUT_S = 3.0
#: Error prefix of a call whose 200 reply was not well-formed (relayed unchanged, recorded as failed).
MALFORMED_REPLY = "malformed upstream reply"


#: Where a surrogate can come from in a UTF-8 body: a ``\\uD800``-``\\uDFFF`` escape or CESU-style raw bytes.
_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _may_hold_surrogate(raw: bytes) -> bool:
    """False when ``json.loads(raw)`` cannot have produced a surrogate, so the costly check (a full
    re-encode of the body) is skipped. Conservative: any escape or byte that could yield one, or a body
    that is not UTF-8 (json also reads UTF-16/32), sends the request through the full check."""
    return json.detect_encoding(raw) not in ("utf-8", "utf-8-sig") or _SURROGATE_HINT.search(raw) is not None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000.0, 3)


def parse_usage(obj: Any) -> TokenCounts | None:
    """TokenCounts from an OpenAI ``usage`` object, or None when it is missing or malformed."""
    if not isinstance(obj, dict):
        return None

    def _int(v: Any) -> int:
        return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0

    pdet = obj.get("prompt_tokens_details") or {}
    cdet = obj.get("completion_tokens_details") or {}
    return TokenCounts(
        prompt=_int(obj.get("prompt_tokens")),
        completion=_int(obj.get("completion_tokens")),
        cached=_int(pdet.get("cached_tokens")) if isinstance(pdet, dict) else 0,
        reasoning=_int(cdet.get("reasoning_tokens")) if isinstance(cdet, dict) else 0,
    )


def _choice_text(choice: dict[str, Any], key: str) -> list[str]:
    """Text a choice carries (content, reasoning, tool-call names and arguments), for usage estimates."""
    part = choice.get(key)
    if not isinstance(part, dict):
        return []
    out = [part[k] for k in ("content", "reasoning_content", "reasoning") if isinstance(part.get(k), str)]
    for call in part.get("tool_calls") or []:
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            out.extend(v for v in (fn.get("name"), fn.get("arguments")) if isinstance(v, str))
    return out


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
        for m in _EVENT_END.finditer(self._buf):
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
        datas = []
        for line in raw.decode("utf-8", errors="replace").splitlines():
            if line.startswith("data:"):
                datas.append(line[6:] if line.startswith("data: ") else line[5:])
        payload = "\n".join(datas).strip()
        if not payload or payload == "[DONE]":
            return False
        try:
            obj = json.loads(payload)
        except ValueError:
            self.malformed += 1
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
                    self.text.extend(_choice_text(ch, "delta"))
        return usage is not None and isinstance(choices, list) and not choices


def validate_body(body: Any) -> str | None:
    """The first problem with a chat-completions body, or None; types only (the upstream checks values)."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return "'messages' must be a non-empty array of message objects"
    for i, msg in enumerate(msgs):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            return f"'messages[{i}]' must be an object with a string 'role'"
    checks: list[tuple[str, type | tuple[type, ...], str]] = [
        ("model", str, "a string"),
        ("stream", bool, "a boolean"),
        ("stream_options", dict, "an object"),
        ("tools", list, "an array"),
    ]
    for key, typ, what in checks:
        if key in body and body[key] is not None and not isinstance(body[key], typ):
            return f"'{key}' must be {what}"
    return None


def forced_tier(model: Any) -> str | None:
    """``local``/``cloud`` when the model name ends in ``!local``/``!cloud``, else None."""
    if isinstance(model, str):
        for suffix, tier in _FORCE_SUFFIXES.items():
            if model.endswith(suffix):
                return tier
    return None


def escalation_check(strategy: Strategy) -> Callable[[dict[str, Any]], str | None] | None:
    """The ``needs_escalation(reply) -> reason | None`` check of a verify-then-escalate strategy: a method
    of the strategy, or a function of the module that defines it."""
    check = getattr(strategy, "needs_escalation", None)
    if check is None:
        check = getattr(sys.modules.get(type(strategy).__module__), "needs_escalation", None)
    return check if callable(check) else None


def assemble_sse(data: bytes) -> dict[str, Any]:
    """A streamed reply folded into the shape of a non-streamed one (first choice), for checks."""
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    refusal: list[str] = []
    for event in _EVENT_END.split(data):
        payload = "\n".join(line[5:].lstrip(" ") for line in event.decode("utf-8", "replace").splitlines()
                            if line.startswith("data:")).strip()
        if not payload or payload == "[DONE]":
            continue
        try:
            obj = json.loads(payload)
        except ValueError:
            continue
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


class LocalAuxClient:
    """Lets a strategy ask a helper model (classifier, embedder) through the LOCAL backend, with a timeout.

    Each aux call is returned as an AuxCall so it is counted in the call record (the seed hid them).
    """

    def __init__(self, backend: Backend, session: aiohttp.ClientSession, retry: Retry, call_index: int) -> None:
        self._backend = backend
        self._session = session
        self._retry = retry
        self._call_index = call_index

    async def _post(self, kind: str, path: str, payload: dict[str, Any], cell_id: str | None,
                    timeout_s: float) -> dict[str, Any]:
        headers = {**self._backend.request_headers(cell_id, self._call_index, "local"), "X-Hybrid-Aux": kind}
        body = json.dumps(payload, ensure_ascii=False).encode()

        async def go() -> dict[str, Any]:
            resp, _ = await self._backend.open(self._session, "POST", path, body=body, headers=headers,
                                               retry=self._retry,
                                               timeout=aiohttp.ClientTimeout(total=timeout_s))
            async with resp:
                data = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{kind} call returned status {resp.status}")
            obj = json.loads(data)
            if not isinstance(obj, dict):
                raise RuntimeError(f"{kind} reply is not a JSON object")
            return obj

        return await asyncio.wait_for(go(), timeout_s)

    async def chat(self, kind: str, messages: list[dict[str, Any]], model: str, cell_id: str | None,
                   timeout_s: float) -> tuple[str | None, AuxCall]:
        t0 = time.perf_counter()
        payload = {"model": model, "messages": messages, "stream": False, "temperature": 0}
        try:
            obj = await self._post(kind, "chat/completions", payload, cell_id, timeout_s)
            text = obj["choices"][0]["message"].get("content") or ""
            usage = parse_usage(obj.get("usage")) or TokenCounts(
                prompt=count_messages(messages), completion=count_text(text))
            return text, AuxCall(kind=kind, tier="local", model=model, usage=usage, latency_ms=_ms(t0))
        except Exception as exc:  # noqa: BLE001 - any failure is a counted, failed aux call
            return None, AuxCall(kind=kind, tier="local", model=model, latency_ms=_ms(t0), ok=False,
                                 error=_aux_error(exc, timeout_s))

    async def embed(self, texts: list[str], model: str, cell_id: str | None,
                    timeout_s: float) -> tuple[list[list[float]] | None, AuxCall]:
        t0 = time.perf_counter()
        try:
            obj = await self._post("embedding", "embeddings", {"model": model, "input": texts}, cell_id, timeout_s)
            rows = sorted(obj["data"], key=lambda r: r.get("index", 0))
            vectors = [[float(x) for x in r["embedding"]] for r in rows]
            if len(vectors) != len(texts):
                raise RuntimeError(f"embedding reply has {len(vectors)} vectors for {len(texts)} inputs")
            usage = parse_usage(obj.get("usage")) or TokenCounts(prompt=sum(count_text(t) for t in texts))
            return vectors, AuxCall(kind="embedding", tier="local", model=model, usage=usage, latency_ms=_ms(t0))
        except Exception as exc:  # noqa: BLE001 - any failure is a counted, failed aux call
            return None, AuxCall(kind="embedding", tier="local", model=model, latency_ms=_ms(t0), ok=False,
                                 error=_aux_error(exc, timeout_s))


def _aux_error(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout_s} s"
    return f"{type(exc).__name__}: {exc}"[:300]


@dataclass
class _Call:
    """Mutable facts of one call in flight; turned into a CallRecord exactly once."""

    cell_id: str
    call_index: int
    strategy: str
    stream: bool
    started_at: str
    t0: float
    choice: str = "local"
    decision: Decision | None = None
    forced: bool = False
    decide_ms: float = 0.0
    backend_kind: str = ""
    model: str = ""
    status: int = 0
    error: str | None = None
    retries: int = 0
    usage: TokenCounts | None = None
    usage_source: str = "none"
    ttft_ms: float | None = None
    aux: list[AuxCall] = field(default_factory=list)
    extra_features: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None
    recorded: bool = False

    def first_byte(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = _ms(self.t0)

    def to_record(self, redact: Redactor) -> CallRecord:
        """The record, with every free-text field (error, reason, aux errors) passed through ``redact``."""
        d = self.decision
        aux = [a.model_copy(update={"error": redact.text(a.error)}) if a.error else a for a in self.aux]
        return CallRecord(
            cell_id=self.cell_id, call_index=self.call_index, strategy=self.strategy, choice=self.choice,
            forced=self.forced, reason=redact.text(d.reason) if d else "", confidence=d.confidence if d else None,
            features={**(d.features if d else {}), **self.extra_features}, decide_ms=self.decide_ms, backend_kind=self.backend_kind,
            model=self.model, stream=self.stream, status=self.status, error=redact.optional(self.error),
            retries=self.retries, usage=self.usage or TokenCounts(), usage_source=self.usage_source,
            ttft_ms=self.ttft_ms, total_ms=_ms(self.t0), aux=aux, started_at=self.started_at,
        )


class RoutingProxy:
    """State of one proxy app: backends, the shared client session, strategies, counters and ledger."""

    def __init__(self, config: SweepConfig, backends: dict[str, Backend], ledger: Ledger,
                 budget: BudgetGuard | None = None) -> None:
        missing = [t for t in TIERS if t not in backends]
        if missing:
            raise ValueError(f"backends for tiers {missing} are missing")
        self.config = config
        self.backends = backends
        self.ledger = ledger
        self.budget = budget if budget is not None else BudgetGuard.from_config(config)
        self.retry = config.routing.retry
        #: every text the proxy relays or records passes through this (the upstream keys never echo back)
        self.redact = Redactor(backend_secrets(backends))
        self._strategies: dict[str, Strategy] = {}
        self._counters: dict[str, int] = {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the proxy's client session exists only while the app runs")
        return self._session

    async def session_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """One client session (one connection pool) per proxy, for both tiers and aux calls."""
        connector = aiohttp.TCPConnector(limit=256, enable_cleanup_closed=True)
        self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        try:
            yield
        finally:
            await self._session.close()
            self._session = None

    def strategy(self, name: str) -> Strategy | None:
        if name not in self._strategies:
            if name not in strategy_names():
                return None
            self._strategies[name] = get_strategy(name)
        return self._strategies[name]

    def next_index(self, cell_key: str) -> int:
        # No await between read and write: atomic within the event loop.
        idx = self._counters.get(cell_key, 0)
        self._counters[cell_key] = idx + 1
        return idx

    # -- the routed endpoint --------------------------------------------------------------------------

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        refusal = non_json_refusal(request)
        if refusal is not None:
            return refusal
        name = request.match_info["strategy"]
        cell_id = request.match_info.get("cell_id")
        strategy = self.strategy(name)
        if strategy is None:
            return error_response(404, f"unknown strategy {name!r}; valid strategies: "
                                  f"{', '.join(strategy_names())}", "not_found",
                                  valid_strategies=strategy_names())
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, f"request body exceeds {self.config.routing.max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "request body is not valid JSON")
        except RecursionError:  # json raises this, not ValueError, for deeply nested arrays/objects
            return error_response(400, "request body is nested too deeply")
        if _may_hold_surrogate(raw):
            try:  # json.loads lets lone surrogates through (raw or \\ud800-escaped); relaying them would fail
                json.dumps(body, ensure_ascii=False).encode()
            except UnicodeEncodeError:
                return error_response(400, "request body is not valid UTF-8 (lone surrogate)")
        problem = validate_body(body) or limit_problem(body, self.config.proxy)
        if problem is not None:
            return error_response(400, problem)

        stream = bool(body.get("stream"))
        opts = body.get("stream_options")
        client_wants_usage = isinstance(opts, dict) and opts.get("include_usage") is True
        call = _Call(cell_id=cell_id if cell_id is not None else STANDALONE_CELL,
                     call_index=self.next_index(cell_id or ""), strategy=name, stream=stream,
                     started_at=_now_iso(), t0=time.perf_counter())
        try:
            return await self._route(request, raw, body, strategy, cell_id, call, stream, client_wants_usage)
        except asyncio.CancelledError:
            call.error = call.error or "client disconnected"
            raise
        except Exception as exc:
            call.error = call.error or f"proxy error: {type(exc).__name__}: {exc}"[:300]
            call.status = call.status or 500
            raise
        finally:
            self.finish(call)

    def finish(self, call: _Call) -> None:
        """Put the call in the ledger, once, and charge its cloud cost to the budget."""
        if not call.recorded:
            call.recorded = True
            rec = call.to_record(self.redact)
            self.budget.charge(rec)
            self.ledger.record(rec)

    async def _decide(self, body: dict[str, Any], strategy: Strategy, cell_id: str | None,
                      call: _Call) -> Decision:
        tier = forced_tier(body.get("model"))
        t = time.perf_counter()
        if tier is not None:
            call.forced = True
            decision = Decision(choice=tier, reason=f"forced by model suffix !{tier}", confidence=1.0)  # type: ignore[arg-type]
        else:
            ctx = StrategyContext(
                params=self.config.routing.params.get(call.strategy, {}),
                aux=LocalAuxClient(self.backends["local"], self.session, self.retry, call.call_index),
                classifier_model=self.config.models.router_classifier,
            )
            decision = await strategy.decide(RouteRequest(body=body, cell_id=cell_id,
                                                          call_index=call.call_index), ctx)
        call.decide_ms = _ms(t)
        call.decision = decision
        call.choice = decision.choice
        call.aux = list(decision.aux)
        missed = next((a for a in call.aux if a.error and a.error.startswith("ReplayMiss")), None)
        if missed is not None:
            # a strategy that silently decided without its classifier would not be a replay of the sweep
            raise ReplayMiss(cell_id, call.call_index, "local", f"{missed.kind} aux call",
                             Path(str(self.config.routing.replay_dir)))
        return decision

    async def _route(self, request: web.Request, raw: bytes, body: dict[str, Any], strategy: Strategy,
                     cell_id: str | None, call: _Call, stream: bool,
                     client_wants_usage: bool) -> web.StreamResponse:
        try:
            decision = await self._decide(body, strategy, cell_id, call)
        except ReplayMiss as exc:
            return self._replay_miss(call, exc, {})
        except Exception as exc:
            call.error = self.redact.text(f"strategy {call.strategy!r} failed: {type(exc).__name__}: {exc}"[:300])
            call.status = 500
            return error_response(500, call.error, "server_error")
        if decision.verify_then_escalate and decision.choice == "local":
            return await self._escalating(request, raw, body, strategy, cell_id, call, stream,
                                          strip_usage=not client_wants_usage)
        return await self._forward(request, raw, body, cell_id, call, decision.choice, stream,
                                   strip_usage=not client_wants_usage)

    def _replay_miss(self, call: _Call, exc: ReplayMiss, headers: dict[str, str]) -> web.Response:
        """A replay that has no answer says so loudly: 409, naming the cell, the call and the store."""
        call.status, call.error = 409, "replay_miss"
        return error_response(409, self.redact.text(str(exc)), "replay_miss", headers=headers, cell_id=exc.cell_id,
                              call_index=exc.call_index, tier=exc.tier, replay_dir=str(exc.replay_dir))

    def _route_headers(self, call: _Call, tier: str) -> dict[str, str]:
        return {"X-Hybrid-Route": tier, "X-Hybrid-Strategy": call.strategy,
                "X-Hybrid-Call-Index": str(call.call_index)}

    @staticmethod
    def _payload(backend: Backend, raw: bytes, stream: bool) -> bytes:
        # Re-parse the client's bytes so nothing a strategy did to ``body`` can reach the upstream.
        upstream_body = backend.prepare_body(json.loads(raw), stream=stream)
        return json.dumps(upstream_body, ensure_ascii=False, separators=(",", ":")).encode()

    async def _forward(self, request: web.Request, raw: bytes, body: dict[str, Any], cell_id: str | None,
                       call: _Call, tier: str, stream: bool, strip_usage: bool,
                       extra_headers: dict[str, str] | None = None) -> web.StreamResponse:
        """Send the call to ``tier`` and relay the reply as it arrives."""
        backend = self.backends[tier]
        call.backend_kind, call.model = backend.kind, backend.model
        route_headers = {**self._route_headers(call, tier), **(extra_headers or {})}
        if tier == "cloud" and self.budget.exhausted():
            call.status, call.error = 402, BUDGET_EXHAUSTED
            return error_response(402, self.budget.refuse(), BUDGET_EXHAUSTED, headers=route_headers)
        payload = self._payload(backend, raw, stream)
        try:
            upstream, call.retries = await backend.open(
                self.session, "POST", "chat/completions", body=payload,
                headers=backend.request_headers(cell_id, call.call_index, tier), retry=self.retry)
        except ReplayMiss as exc:
            return self._replay_miss(call, exc, route_headers)
        except BackendUnavailable as exc:
            call.retries = exc.retries
            call.status = 504 if exc.timeout else 502
            call.error = self.redact.text(str(exc))
            return error_response(call.status, call.error, "upstream_error", headers=route_headers)
        call.status = upstream.status
        try:
            if stream and upstream.status == 200:
                return await self._relay_stream(request, upstream, call, body, route_headers,
                                                strip_usage=strip_usage)
            return await self._relay_whole(upstream, call, body, route_headers)
        except BaseException:
            upstream.close()  # drop the connection: the upstream stops generating
            raise
        finally:
            upstream.release()

    # -- verify, then escalate ----------------------------------------------------------------------------

    async def _escalating(self, request: web.Request, raw: bytes, body: dict[str, Any], strategy: Strategy,
                          cell_id: str | None, call: _Call, stream: bool,
                          strip_usage: bool) -> web.StreamResponse:
        """Ask local and hold its whole reply; release it when the strategy's check passes, otherwise
        record the local attempt and ask the cloud (a second record with the same call index).

        The client gets exactly one of the two replies, unaltered; the local attempt's tokens are
        counted because they were spent.
        """
        check = escalation_check(strategy)
        if check is None:
            call.status = 500
            call.error = (f"strategy {call.strategy!r} asks to verify and escalate but has no "
                          "needs_escalation(reply) check")
            return error_response(500, call.error, "server_error")
        try:
            chunks, why = await self._local_attempt(raw, body, cell_id, call, stream, check)
        except ReplayMiss as exc:
            return self._replay_miss(call, exc, self._route_headers(call, "local"))
        if why is None:
            return await self._release(request, call, body, chunks, stream, strip_usage)
        call.extra_features.update(escalated=True, escalation_reason=why)
        self.finish(call)
        assert call.decision is not None
        cloud = _Call(cell_id=call.cell_id, call_index=call.call_index, strategy=call.strategy, stream=stream,
                      started_at=call.started_at, t0=call.t0, choice="cloud", decide_ms=call.decide_ms,
                      decision=Decision(choice="cloud", reason=f"escalated from local: {why}",
                                        features=dict(call.decision.features)),
                      extra_features={"escalated_from": "local", "escalation_reason": why})
        try:
            return await self._forward(request, raw, body, cell_id, cloud, "cloud", stream, strip_usage,
                                       extra_headers={"X-Hybrid-Escalated": "1"})
        except asyncio.CancelledError:
            cloud.error = cloud.error or "client disconnected"
            raise
        except Exception as exc:
            # the outer handler only marks the (already finished) local call: the cloud record must say it too
            cloud.error = cloud.error or f"escalation to cloud failed: {type(exc).__name__}: {exc}"
            raise
        finally:
            self.finish(cloud)

    async def _local_attempt(self, raw: bytes, body: dict[str, Any], cell_id: str | None, call: _Call,
                             stream: bool, check: Callable[[dict[str, Any]], str | None]
                             ) -> tuple[list[bytes], str | None]:
        """The local reply, buffered, and why it must be escalated (None when it is usable)."""
        local = self.backends["local"]
        call.backend_kind, call.model = local.kind, local.model
        chunks: list[bytes] = []
        try:
            upstream, call.retries = await local.open(
                self.session, "POST", "chat/completions", body=self._payload(local, raw, stream),
                headers=local.request_headers(cell_id, call.call_index, "local"), retry=self.retry)
        except BackendUnavailable as exc:
            call.retries, call.status, call.error = exc.retries, 504 if exc.timeout else 502, str(exc)
            return chunks, "local backend unavailable"
        except ReplayMiss:
            call.status, call.error = 409, "replay_miss"
            raise
        call.status = upstream.status
        call.content_type = upstream.headers.get("Content-Type")
        try:
            async for chunk in upstream.content.iter_any():
                call.first_byte()
                chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            call.error = f"upstream reply broke: {type(exc).__name__}"
            return chunks, "local reply broke off"
        except BaseException:
            upstream.close()
            raise
        finally:
            upstream.release()
        if upstream.status != 200:
            call.error = f"upstream status {upstream.status}"
            return chunks, f"local status {upstream.status}"
        data = b"".join(chunks)
        if stream:
            watcher = SSEWatcher()
            watcher.feed(data)
            watcher.flush()
            self._stream_usage(call, body, watcher)
            reply: dict[str, Any] | None = assemble_sse(data)
        else:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
            reply = parsed if isinstance(parsed, dict) else None
            usage = parse_usage(reply.get("usage")) if reply else None
            if usage is not None:
                call.usage, call.usage_source = usage, "upstream"
            else:
                text = [t for ch in (reply or {}).get("choices") or [] if isinstance(ch, dict)
                        for t in _choice_text(ch, "message")]
                self._estimate(call, body, text)
        if reply is None:
            call.error = call.error or f"{MALFORMED_REPLY}: the local reply is not a chat completion"
            return chunks, "local reply is not a chat completion"
        try:
            return chunks, check(reply)
        except Exception as exc:  # noqa: BLE001 - a broken check escalates rather than passing junk on
            return chunks, f"escalation check failed: {type(exc).__name__}"

    async def _release(self, request: web.Request, call: _Call, body: dict[str, Any], chunks: list[bytes],
                       stream: bool, strip_usage: bool) -> web.StreamResponse:
        """Send a verified local reply, chunk by chunk as it was received; ttft is when the client gets it."""
        headers = self._route_headers(call, "local")
        call.ttft_ms = None
        content_type = self.redact.header(call.content_type) if call.content_type else None
        if not stream:
            call.first_byte()
            return web.Response(body=self.redact.content(b"".join(chunks)), status=200,
                                headers={**headers, "Content-Type": content_type or "application/json"})
        resp = web.StreamResponse(status=200, headers={
            **headers, "Content-Type": content_type or "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        call.first_byte()
        self.finish(call)
        watcher = SSEWatcher()
        for chunk in chunks:
            out = self._relayable(watcher.feed(chunk), strip_usage)
            if out:
                await resp.write(out)
        rest = watcher.flush()
        if rest:
            await resp.write(self.redact.event(rest))
        await resp.write_eof()
        return resp

    def _relayable(self, events: list[tuple[bytes, bool]], strip_usage: bool) -> bytes:
        """The bytes of whole SSE events to relay: redacted (keys; credentials in error events), and
        without the usage-only event when the proxy asked for it on the client's behalf."""
        event = self.redact.event
        return b"".join(event(raw) for raw, usage_only in events if not (strip_usage and usage_only))

    def _estimate(self, call: _Call, body: dict[str, Any], text: list[str]) -> None:
        call.usage = TokenCounts(prompt=count_messages(body["messages"]), completion=count_text("".join(text)))
        call.usage_source = "estimated"

    async def _relay_whole(self, upstream: aiohttp.ClientResponse, call: _Call, body: dict[str, Any],
                           route_headers: dict[str, str]) -> web.StreamResponse:
        chunks: list[bytes] = []
        try:
            async for chunk in upstream.content.iter_any():
                call.first_byte()
                chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            timeout = isinstance(exc, TimeoutError)
            call.error = f"upstream {'read timed out' if timeout else 'failed while reading'}: {type(exc).__name__}"
            call.status = 504 if timeout else 502
            return error_response(call.status, call.error, "upstream_error", headers=route_headers)
        data = b"".join(chunks)
        headers = dict(route_headers)
        for name in ("Content-Type", "Retry-After"):
            if name in upstream.headers:
                headers[name] = self.redact.header(upstream.headers[name])
        if upstream.status != 200:
            call.error = f"upstream status {upstream.status}"
            return web.Response(body=self.redact.body(data), status=upstream.status, headers=headers)
        text: list[str] = []
        try:
            obj = json.loads(data)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            usage = parse_usage(obj.get("usage"))
            if usage is not None:
                call.usage, call.usage_source = usage, "upstream"
            for ch in obj.get("choices") or []:
                if isinstance(ch, dict):
                    text.extend(_choice_text(ch, "message"))
        else:
            call.error = f"{MALFORMED_REPLY}: the upstream's 200 body is not a JSON object"
        if call.usage is None:
            self._estimate(call, body, text)
        return web.Response(body=self.redact.content(data), status=upstream.status, headers=headers)

    async def _relay_stream(self, request: web.Request, upstream: aiohttp.ClientResponse, call: _Call,
                            body: dict[str, Any], route_headers: dict[str, str],
                            strip_usage: bool) -> web.StreamResponse:
        headers = dict(route_headers)
        headers["Content-Type"] = self.redact.header(upstream.headers.get("Content-Type", "text/event-stream"))
        headers["Cache-Control"] = "no-cache"
        resp = web.StreamResponse(status=upstream.status, headers=headers)
        await resp.prepare(request)
        watcher = SSEWatcher()
        # Bytes carrying ``[DONE]`` wait until the call is in the ledger: a client that stops reading at
        # [DONE] and asks for its cell's usage must find this call there.
        held = b""
        try:
            async for chunk in upstream.content.iter_any():
                call.first_byte()
                out = self._relayable(watcher.feed(chunk), strip_usage)
                if held:
                    await resp.write(held)
                    held = b""
                if _DONE.search(out):
                    held = out
                elif out:
                    await resp.write(out)
            rest = watcher.flush()
            if rest:
                held += self.redact.event(rest)
            self._stream_usage(call, body, watcher)
            self.finish(call)
            if held:
                await resp.write(held)
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, TimeoutError) as exc:
            if isinstance(exc, ConnectionResetError):
                call.error = "client disconnected"
                raise
            call.error = f"upstream stream broke: {type(exc).__name__}"
            tail = held + self.redact.event(watcher.flush())  # what arrived before the break, as before
            if tail:
                await resp.write(tail)
        except ConnectionResetError:
            call.error = "client disconnected"
            raise
        finally:
            if call.usage is None:
                self._stream_usage(call, body, watcher)
        await resp.write_eof()
        return resp

    def _stream_usage(self, call: _Call, body: dict[str, Any], watcher: SSEWatcher) -> None:
        if watcher.malformed and call.error is None:
            # the bytes went to the client untouched; the record must still say the reply was broken
            call.error = f"{MALFORMED_REPLY}: {watcher.malformed} stream event(s) are not JSON objects"
        if watcher.usage is not None:
            call.usage, call.usage_source = watcher.usage, "upstream"
        else:
            self._estimate(call, body, watcher.text)

    # -- the other endpoints --------------------------------------------------------------------------

    async def models(self, request: web.Request) -> web.Response:
        data = [{"id": self.backends[t].model, "object": "model", "created": 0, "owned_by": f"hybrid-eval-{t}"}
                for t in TIERS]
        return web.json_response({"object": "list", "data": data})

    async def api_tags(self, request: web.Request) -> web.Response:
        models = [{"name": self.backends[t].model, "model": self.backends[t].model,
                   "modified_at": "1970-01-01T00:00:00Z", "size": 0, "digest": "",
                   "details": {"family": t, "format": "proxy"}} for t in TIERS]
        return web.json_response({"models": models})

    async def api_version(self, request: web.Request) -> web.Response:
        from pytest_hybrid_eval import __version__ as version

        return web.json_response({"version": str(version)})

    async def _probe(self, tier: str) -> dict[str, Any]:
        backend = self.backends[tier]
        t = time.perf_counter()
        info: dict[str, Any] = {"kind": backend.kind, "model": backend.model}
        try:
            resp, _ = await backend.open(self.session, "GET", "models", body=None,
                                         headers=backend.request_headers(None, -1, tier),
                                         retry=Retry(max_retries=0, backoff_s=0),
                                         timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S))
            async with resp:
                await resp.read()
            info.update(ok=resp.status == 200, status=resp.status)
        except BackendUnavailable as exc:
            info.update(ok=False, status=None, error=str(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            info.update(ok=False, status=None, error=type(exc).__name__)
        info["latency_ms"] = _ms(t)
        return info

    async def healthz(self, request: web.Request) -> web.Response:
        results = await asyncio.gather(*(self._probe(t) for t in TIERS))
        backends = dict(zip(TIERS, results, strict=True))
        down = [t for t, r in backends.items() if not r["ok"]]
        payload = {"status": "down" if down else "ok", "down": down, "backends": backends}
        return web.json_response(payload, status=503 if down else 200)

    async def cell_usage(self, request: web.Request) -> web.Response:
        usage = self.ledger.usage(request.match_info["cell_id"])
        return web.Response(text=usage.model_dump_json(), content_type="application/json")

    async def budget_status(self, request: web.Request) -> web.Response:
        return web.json_response(self.budget.snapshot())

    async def decisions(self, request: web.Request) -> web.Response:
        cell = request.query.get("cell")
        recs = [r.model_dump(mode="json") for r in self.ledger.all_records() if cell is None or r.cell_id == cell]
        return web.json_response({"records": recs})


PROXY_KEY: web.AppKey[RoutingProxy] = web.AppKey("hybrid_eval_proxy", RoutingProxy)


def create_proxy_app(config: SweepConfig, backends: dict[str, Backend], secret: str,
                     ledger: Ledger | None = None, budget: BudgetGuard | None = None) -> web.Application:
    """The proxy app; every route sits under ``/{secret}`` (an empty secret means no prefix)."""
    if "/" in secret or "{" in secret or "}" in secret:
        raise ValueError("the secret must be a single URL path segment")
    proxy = RoutingProxy(config, backends, ledger if ledger is not None else Ledger(), budget)
    app = web.Application(client_max_size=config.routing.max_body_bytes, middlewares=[guard_middleware])
    app[PROXY_KEY] = proxy
    app.cleanup_ctx.append(proxy.session_ctx)
    app.cleanup_ctx.append(RedactingLogFilter(Redactor([*backend_secrets(backends), secret])).while_running)
    p = f"/{secret}" if secret else ""
    r = app.router
    for base in (f"{p}/cells/{{cell_id}}/{{strategy}}", f"{p}/{{strategy}}"):
        r.add_post(f"{base}/v1/chat/completions", proxy.chat_completions)
        r.add_get(f"{base}/v1/models", proxy.models)
        r.add_get(f"{base}/api/tags", proxy.api_tags)
        r.add_get(f"{base}/api/version", proxy.api_version)
    r.add_get(f"{p}/v1/models", proxy.models)
    r.add_get(f"{p}/api/tags", proxy.api_tags)
    r.add_get(f"{p}/api/version", proxy.api_version)
    r.add_get(f"{p}/healthz", proxy.healthz)
    r.add_get(f"{p}/cells/{{cell_id}}/usage", proxy.cell_usage)
    r.add_get(f"{p}/decisions", proxy.decisions)
    r.add_get(f"{p}/budget", proxy.budget_status)
    return app
