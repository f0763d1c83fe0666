"""Verify, then escalate: ask local, hold its whole reply, release it when the strategy's check passes,
otherwise record the local attempt and ask the cloud (a second record with the same call index).

The client gets exactly one of the two replies, unaltered; the local attempt's tokens are counted
because they were spent. The check is the strategy's ``needs_escalation`` (``EscalatingStrategy``); a
streamed local reply is folded into the non-streamed shape for it (``sse.assemble_sse``). Holding the
reply means the client's time to first byte is when the released reply reaches it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from pytest_hybrid_eval.backends.base import BackendUnavailable
from pytest_hybrid_eval.routing.calls import MALFORMED_REPLY, CallState
from pytest_hybrid_eval.routing.guards import error_response
from pytest_hybrid_eval.routing.recorder import ReplayMiss
from pytest_hybrid_eval.routing.relay import (
    Relay,
    estimate_usage,
    route_headers,
    stream_usage,
    upstream_payload,
)
from pytest_hybrid_eval.routing.replies import parse_usage, reply_text
from pytest_hybrid_eval.routing.sse import SSEWatcher, assemble_sse
from pytest_hybrid_eval.routing.strategies import Decision, EscalatingStrategy, Strategy

Check = Callable[[dict[str, Any]], str | None]


class Escalation:
    """Runs verify-then-escalate calls over one proxy's relay."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def run(self, request: web.Request, raw: bytes, body: dict[str, Any], strategy: Strategy,
                  cell_id: str | None, call: CallState, stream: bool, strip_usage: bool) -> web.StreamResponse:
        if not isinstance(strategy, EscalatingStrategy):
            call.status = 500
            call.error = (f"strategy {call.strategy!r} asks to verify and escalate but has no "
                          "needs_escalation(reply) check")
            return error_response(500, call.error, "server_error")
        try:
            chunks, why = await self._local_attempt(raw, body, cell_id, call, stream, strategy.needs_escalation)
        except ReplayMiss as exc:
            return self.relay.replay_miss(call, exc, route_headers(call, "local"))
        if why is None:
            return await self._release(request, call, chunks, stream, strip_usage)
        call.extra_features.update(escalated=True, escalation_reason=why)
        self.relay.finish(call)
        assert call.decision is not None
        cloud = CallState(cell_id=call.cell_id, call_index=call.call_index, strategy=call.strategy, stream=stream,
                          started_at=call.started_at, t0=call.t0, choice="cloud", decide_ms=call.decide_ms,
                          decision=Decision(choice="cloud", reason=f"escalated from local: {why}",
                                            features=dict(call.decision.features)),
                          extra_features={"escalated_from": "local", "escalation_reason": why})
        try:
            return await self.relay.forward(request, raw, body, cell_id, cloud, "cloud", stream, strip_usage,
                                            extra_headers={"X-Hybrid-Escalated": "1"})
        except asyncio.CancelledError:
            cloud.error = cloud.error or "client disconnected"
            raise
        except Exception as exc:
            # the outer handler only marks the (already finished) local call: the cloud record must say it too
            cloud.error = cloud.error or f"escalation to cloud failed: {type(exc).__name__}: {exc}"
            raise
        finally:
            self.relay.finish(cloud)

    async def _local_attempt(self, raw: bytes, body: dict[str, Any], cell_id: str | None, call: CallState,
                             stream: bool, check: Check) -> tuple[list[bytes], str | None]:
        """The local reply, buffered, and why it must be escalated (None when it is usable)."""
        upstreams = self.relay.upstreams
        local = upstreams["local"]
        call.backend_kind, call.model = local.kind, local.model
        chunks: list[bytes] = []
        try:
            upstream, call.retries = await local.open(
                upstreams.session, "POST", "chat/completions", body=upstream_payload(local, raw, stream),
                headers=local.request_headers(cell_id, call.call_index, "local"), retry=upstreams.retry)
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
        reply = self._read_reply(b"".join(chunks), body, call, stream)
        if reply is None:
            call.error = call.error or f"{MALFORMED_REPLY}: the local reply is not a chat completion"
            return chunks, "local reply is not a chat completion"
        try:
            return chunks, check(reply)
        except Exception as exc:  # noqa: BLE001 - a broken check escalates rather than passing junk on
            return chunks, f"escalation check failed: {type(exc).__name__}"

    @staticmethod
    def _read_reply(data: bytes, body: dict[str, Any], call: CallState, stream: bool) -> dict[str, Any] | None:
        """The local reply as a chat completion (a stream folded into one), its usage put in the call."""
        if stream:
            watcher = SSEWatcher()
            watcher.feed(data)
            watcher.flush()
            stream_usage(call, body, watcher)
            return assemble_sse(data)
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        reply = parsed if isinstance(parsed, dict) else None
        usage = parse_usage(reply.get("usage")) if reply else None
        if usage is not None:
            call.usage, call.usage_source = usage, "upstream"
        else:
            estimate_usage(call, body, reply_text(reply or {}))
        return reply

    async def _release(self, request: web.Request, call: CallState, chunks: list[bytes], stream: bool,
                       strip_usage: bool) -> web.StreamResponse:
        """Send a verified local reply, chunk by chunk as it was received; ttft is when the client gets it."""
        redact = self.relay.redact
        headers = route_headers(call, "local")
        call.ttft_ms = None
        content_type = redact.header(call.content_type) if call.content_type else None
        if not stream:
            call.first_byte()
            return web.Response(body=redact.content(b"".join(chunks)), status=200,
                                headers={**headers, "Content-Type": content_type or "application/json"})
        resp = web.StreamResponse(status=200, headers={
            **headers, "Content-Type": content_type or "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        call.first_byte()
        self.relay.finish(call)
        watcher = SSEWatcher()
        for chunk in chunks:
            out = self.relay.relayable(watcher.feed(chunk), strip_usage)
            if out:
                await resp.write(out)
        rest = watcher.flush()
        if rest:
            await resp.write(redact.event(rest))
        await resp.write_eof()
        return resp
