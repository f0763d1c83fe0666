"""How the scripted server's replies and injected faults travel over HTTP.

Faults must look to a client exactly as the real thing does (see ``skill.FAULT_KINDS``): a JSON error
status, a body cut mid-way, an SSE stream that breaks, or a connection dropped without any status line.
Errors of the server itself (bad requests, unknown routes) are JSON too, because clients of an OpenAI API
parse error bodies as JSON.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from pytest_hybrid_eval.simulator.skill import FaultKind

__all__ = ["BadRequest", "client_gone", "error_response", "json_errors", "refuse", "send_cut_body",
           "send_stream"]

_CUT_AFTER = 3  # a cut stream closes after this many chunks


def error_response(status: int, message: str, err_type: str, headers: dict[str, str] | None = None
                   ) -> web.Response:
    """An OpenAI-style error body with ``status``."""
    body = {"error": {"message": message, "type": err_type, "code": status}}
    return web.json_response(body, status=status, headers=headers)


class BadRequest(Exception):
    """A request the server refuses; `json_errors` turns it into an error body with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@web.middleware
async def json_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                      ) -> web.StreamResponse:
    """Clients of an OpenAI API parse error bodies as JSON, so routing errors are JSON too."""
    try:
        return await handler(request)
    except BadRequest as exc:
        return error_response(exc.status, str(exc), "invalid_request_error" if exc.status == 400 else "not_found")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, f"{exc.reason}: {request.method} {request.path}",
                              "invalid_request_error")


async def send_stream(request: web.Request, headers: dict[str, str], chunks: list[dict[str, Any]],
                      pauses: tuple[float, float], fault: FaultKind | None) -> web.StreamResponse:
    """Server-sent events: one ``data:`` line per chunk, then ``[DONE]``.

    ``pauses`` are the wait before the first chunk and the generation time spread over the rest.
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


async def send_cut_body(request: web.Request, headers: dict[str, str], raw: bytes) -> web.StreamResponse:
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


def client_gone(request: web.Request) -> bool:
    """True when the client of ``request`` has closed its connection."""
    transport = request.transport
    return transport is None or transport.is_closing()


def refuse(request: web.Request) -> web.Response:
    """Drop the connection without a status line: the client sees a connection error, not an HTTP reply.

    (A real refusal happens at connect time, before the server knows the cell and call; dropping the
    connection once the request is read is the closest a server can come while staying deterministic
    per call, and it looks the same to a client: no response at all.) aiohttp's attempt to send the
    returned placeholder fails on the closed transport and is dropped quietly as a client disconnect.
    """
    _abort(request)
    return web.Response(status=503)
