"""Property tests: malformed input never crashes the real routing proxy, never gets a 5xx, never hangs.

The proxy runs with ``start_services`` against a tiny fake OpenAI-shaped upstream on loopback (so a
well-formed request can succeed and a malformed one must be refused by the proxy itself). Every request
carries a client timeout; after each property the proxy must still answer ``/healthz``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import Services, start_services

TIMEOUT = httpx.Timeout(10.0)
FIELDS = ["model", "messages", "stream", "stream_options", "tools", "temperature", "seed", "stop",
          "response_format", "max_tokens", "n", "tool_choice"]  # fmt: skip
STRATEGIES = ["always-local", "always-cloud", "nonexistent-strategy"]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)


class Upstream:
    """Answers chat completions (stream or not) and model listings, whatever the body says."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("stream"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(b'data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n')
            await resp.write_eof()
            return resp
        return web.json_response({"id": "x", "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]})

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tier}/v1/chat/completions", self._chat)
        app.router.add_get("/{tier}/v1/models", self._models)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def __enter__(self) -> Upstream:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def proxy() -> Iterator[Services]:
    with Upstream() as up:
        cfg = SweepConfig.model_validate({
            "backend": "live",
            "models": {"local": {"name": "l", "base_url": f"{up.url}/local/v1"},
                       "cloud": {"name": "c", "base_url": f"{up.url}/cloud/v1"}},
            "timeouts": {"connect_s": 2.0, "read_s": 5.0},
            "routing": {"retry": {"max_retries": 0, "backoff_s": 0.01}, "max_body_bytes": 64 * 1024},
        })
        svc = start_services(cfg)
        yield svc
        svc.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as c:
        yield c


def _post(client: httpx.Client, svc: Services, content: bytes, strategy: str = "always-local") -> httpx.Response:
    url = f"{cell_url(svc.proxy_url, 'fuzz.cell', strategy)}/chat/completions"
    return client.post(url, content=content, headers={"Content-Type": "application/json"})


def _healthy(client: httpx.Client, svc: Services) -> None:
    r = client.get(f"{svc.proxy_url}/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text


def _client_error_ok(r: httpx.Response) -> None:
    assert r.status_code < 500, f"{r.status_code}: {r.text[:300]}"
    if r.status_code >= 400:
        assert isinstance(r.json()["error"]["message"], str)


@FUZZ
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes(proxy: Services, client: httpx.Client, body: bytes) -> None:
    _client_error_ok(_post(client, proxy, body))


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
       strategy=st.sampled_from(STRATEGIES))
def test_wrong_types_for_every_field(proxy: Services, client: httpx.Client, fields: dict[str, Any],
                                     strategy: str) -> None:
    r = _post(client, proxy, json.dumps(fields).encode(), strategy)
    _client_error_ok(r)


@FUZZ
@given(msg=json_values, stream=json_values, opts=json_values)
def test_valid_shape_with_hostile_values(proxy: Services, client: httpx.Client, msg: Any, stream: Any,
                                         opts: Any) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": msg}], "stream": stream, "stream_options": opts}
    _client_error_ok(_post(client, proxy, json.dumps(body).encode()))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(min_value=500, max_value=30_000), kind=st.sampled_from(["[", '{"a":']))
def test_deeply_nested_bodies(proxy: Services, client: httpx.Client, depth: int, kind: str) -> None:
    close = "]" if kind == "[" else "}"
    _client_error_ok(_post(client, proxy, (kind * depth + "1" + close * depth).encode()))
    _healthy(client, proxy)


def test_huge_body_and_invalid_utf8(proxy: Services, client: httpx.Client) -> None:
    big = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 200_000}]}).encode()
    assert _post(client, proxy, big).status_code == 413
    for raw in (b'{"model": "\xff\xfe", "messages": []}', b"\xc3\x28", b'{"messages": [{"role": "\xed\xa0\x80"}]}'):
        r = _post(client, proxy, raw)
        assert r.status_code == 400, r.text
    _healthy(client, proxy)


@FUZZ
@given(path=st.lists(st.text(alphabet="abcxyz019-_.%", min_size=1, max_size=12), min_size=1, max_size=5),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
def test_unknown_paths_and_secrets_are_plain_404(proxy: Services, client: httpx.Client, path: list[str],
                                                 method: str) -> None:
    base = proxy.proxy_url.rsplit("/", 1)[0]
    r = client.request(method, f"{base}/{'/'.join(path)}")
    assert r.status_code in (404, 405), r.status_code
    assert proxy.secret not in r.text


def _raw(svc: Services, payload: bytes, half_close: bool) -> bytes:
    host, port = svc.proxy_url.split("//", 1)[1].split("/", 1)[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.settimeout(5)
        s.sendall(payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        else:
            return b""  # abandon the connection mid-request
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except TimeoutError:
            pytest.fail(f"the proxy neither answered nor closed within 5 s for {payload[:80]!r}")
        return data


@FUZZ
@given(cut=st.integers(min_value=0, max_value=400), half_close=st.booleans(),
       garbage=st.binary(max_size=40))
def test_partial_http_requests(proxy: Services, client: httpx.Client, cut: int, half_close: bool,
                               garbage: bytes) -> None:
    path = cell_url(proxy.proxy_url, "fuzz.cell", "always-local").split("//", 1)[1].split("/", 1)[1]
    body = b'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'
    request = (f"POST /{path}/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body) + 50}\r\n\r\n").encode() + body  # fmt: skip
    answer = _raw(proxy, garbage + request[:cut], half_close)
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert status < 500, answer[:300]
    _healthy(client, proxy)
