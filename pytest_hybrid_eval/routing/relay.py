"""Send a decided call to its tier and relay the reply to the client as it arrives.

The proxy never edits content. The permitted edits are dropping the usage-only SSE event that the proxy
itself asked for when the client did not (only whole events are dropped), and masking the proxy's own
secrets (``redact``: upstream keys never echo back). Streams are written per complete SSE event (see
``sse``), so the usage-only event can be left out whole and every event can be redacted whole; upstream
servers write one event per flush, so in practice the chunks are the ones the upstream wrote.

While relaying, the call record is filled in: status, retries, usage (the upstream's, or an estimate
with the shared tokenizer when it reports none) and errors, including a 200 reply that is not
well-formed (relayed unchanged, recorded as failed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from pytest_hybrid_eval.backends.base import Backend, BackendUnavailable
from pytest_hybrid_eval.routing.budget import BUDGET_EXHAUSTED, BudgetGuard
from pytest_hybrid_eval.routing.calls import MALFORMED_REPLY, CallState
from pytest_hybrid_eval.routing.guards import error_response
from pytest_hybrid_eval.routing.recorder import ReplayMiss
from pytest_hybrid_eval.routing.redact import Redactor
from pytest_hybrid_eval.routing.replies import parse_usage, reply_text
from pytest_hybrid_eval.routing.sse import DONE, SSEWatcher
from pytest_hybrid_eval.routing.tokens import count_messages, count_text
from pytest_hybrid_eval.routing.upstreams import Upstreams
from pytest_hybrid_eval.usage import TokenCounts


def route_headers(call: CallState, tier: str) -> dict[str, str]:
    """The headers that tell a client which tier answered and under which strategy and call index."""
    return {"X-Hybrid-Route": tier, "X-Hybrid-Strategy": call.strategy, "X-Hybrid-Call-Index": str(call.call_index)}


def estimate_usage(call: CallState, body: dict[str, Any], text: list[str]) -> None:
    """Usage counted with the shared tokenizer, for a reply whose upstream reported none."""
    call.usage = TokenCounts(prompt=count_messages(body["messages"]), completion=count_text("".join(text)))
    call.usage_source = "estimated"


def stream_usage(call: CallState, body: dict[str, Any], watcher: SSEWatcher) -> None:
    """Usage (reported or estimated) and a malformed-stream error from what ``watcher`` saw."""
    if watcher.malformed and call.error is None:
        # the bytes went to the client untouched; the record must still say the reply was broken
        call.error = f"{MALFORMED_REPLY}: {watcher.malformed} stream event(s) are not JSON objects"
    if watcher.usage is not None:
        call.usage, call.usage_source = watcher.usage, "upstream"
    else:
        estimate_usage(call, body, watcher.text)


def upstream_payload(backend: Backend, raw: bytes, stream: bool) -> bytes:
    """The body for ``backend``, re-parsed from the client's bytes so that nothing a strategy did to
    the parsed body can reach the upstream."""
    upstream_body = backend.prepare_body(json.loads(raw), stream=stream)
    return json.dumps(upstream_body, ensure_ascii=False, separators=(",", ":")).encode()


class Relay:
    """Forwards calls for one proxy; ``finish`` puts a call in the ledger (called before a stream's
    ``[DONE]`` reaches the client, so a client that stops there finds the call recorded)."""

    def __init__(self, upstreams: Upstreams, redact: Redactor, budget: BudgetGuard,
                 finish: Callable[[CallState], None]) -> None:
        self.upstreams = upstreams
        self.redact = redact
        self.budget = budget
        self.finish = finish

    def replay_miss(self, call: CallState, exc: ReplayMiss, headers: dict[str, str]) -> web.Response:
        """A replay that has no answer says so loudly: 409, naming the cell, the call and the store."""
        call.status, call.error = 409, "replay_miss"
        return error_response(409, self.redact.text(str(exc)), "replay_miss", headers=headers, cell_id=exc.cell_id,
                              call_index=exc.call_index, tier=exc.tier, replay_dir=str(exc.replay_dir))

    def relayable(self, events: list[tuple[bytes, bool]], strip_usage: bool) -> bytes:
        """The bytes of whole SSE events to relay: redacted (keys; credentials in error events), and
        without the usage-only event when the proxy asked for it on the client's behalf."""
        event = self.redact.event
        return b"".join(event(raw) for raw, usage_only in events if not (strip_usage and usage_only))

    async def forward(self, request: web.Request, raw: bytes, body: dict[str, Any], cell_id: str | None,
                      call: CallState, tier: str, stream: bool, strip_usage: bool,
                      extra_headers: dict[str, str] | None = None) -> web.StreamResponse:
        """Send the call to ``tier`` and relay the reply as it arrives."""
        backend = self.upstreams[tier]
        call.backend_kind, call.model = backend.kind, backend.model
        headers = {**route_headers(call, tier), **(extra_headers or {})}
        if tier == "cloud" and self.budget.exhausted():
            call.status, call.error = 402, BUDGET_EXHAUSTED
            return error_response(402, self.budget.refuse(), BUDGET_EXHAUSTED, headers=headers)
        payload = upstream_payload(backend, raw, stream)
        try:
            upstream, call.retries = await backend.open(
                self.upstreams.session, "POST", "chat/completions", body=payload,
                headers=backend.request_headers(cell_id, call.call_index, tier), retry=self.upstreams.retry)
        except ReplayMiss as exc:
            return self.replay_miss(call, exc, headers)
        except BackendUnavailable as exc:
            call.retries = exc.retries
            call.status = 504 if exc.timeout else 502
            call.error = self.redact.text(str(exc))
            return error_response(call.status, call.error, "upstream_error", headers=headers)
        call.status = upstream.status
        try:
            if stream and upstream.status == 200:
                return await self._relay_stream(request, upstream, call, body, headers, strip_usage=strip_usage)
            return await self._relay_whole(upstream, call, body, headers)
        except BaseException:
            upstream.close()  # drop the connection: the upstream stops generating
            raise
        finally:
            upstream.release()

    async def _relay_whole(self, upstream: aiohttp.ClientResponse, call: CallState, body: dict[str, Any],
                           base_headers: dict[str, str]) -> web.StreamResponse:
        chunks: list[bytes] = []
        try:
            async for chunk in upstream.content.iter_any():
                call.first_byte()
                chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            timeout = isinstance(exc, TimeoutError)
            call.error = f"upstream {'read timed out' if timeout else 'failed while reading'}: {type(exc).__name__}"
            call.status = 504 if timeout else 502
            return error_response(call.status, call.error, "upstream_error", headers=base_headers)
        data = b"".join(chunks)
        headers = dict(base_headers)
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
            text = reply_text(obj)
        else:
            call.error = f"{MALFORMED_REPLY}: the upstream's 200 body is not a JSON object"
        if call.usage is None:
            estimate_usage(call, body, text)
        return web.Response(body=self.redact.content(data), status=upstream.status, headers=headers)

    async def _relay_stream(self, request: web.Request, upstream: aiohttp.ClientResponse, call: CallState,
                            body: dict[str, Any], base_headers: dict[str, str],
                            strip_usage: bool) -> web.StreamResponse:
        headers = dict(base_headers)
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
                out = self.relayable(watcher.feed(chunk), strip_usage)
                if held:
                    await resp.write(held)
                    held = b""
                if DONE.search(out):
                    held = out
                elif out:
                    await resp.write(out)
            rest = watcher.flush()
            if rest:
                held += self.redact.event(rest)
            stream_usage(call, body, watcher)
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
                stream_usage(call, body, watcher)
        await resp.write_eof()
        return resp
