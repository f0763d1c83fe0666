"""The proxy against hostile or careless peers: an upstream that echoes the API key, a browser page, a
client that holds a connection open, and calls that ask for unbounded output. All traffic is loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from pytest_hybrid_eval.config import SweepConfig, build_config
from pytest_hybrid_eval.routing.guards import loopback_host, loopback_origin
from pytest_hybrid_eval.routing.redact import Redactor
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import Services, start_services

KEY_ENV = "HYBRID_TEST_HARDENING_KEY"
#: A code snippet a model may legitimately write: it must reach the agent unaltered.
CODE_WITH_BEARER = 'headers = {"Authorization": "Bearer " + token}'


class EchoUpstream:
    """A loopback OpenAI-style server that echoes the request's Authorization header back, the way a
    careless gateway does in its error messages; counts the calls it gets."""

    def __init__(self) -> None:
        self.calls = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None

    def start(self) -> EchoUpstream:
        threading.Thread(target=self._run, daemon=True).start()
        assert self._ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        async def down() -> None:
            assert self._runner is not None
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        body = await request.json()
        auth = request.headers.get("Authorization", "")
        prompt = body["messages"][-1]["content"]
        if prompt == "slow":
            await asyncio.sleep(0.8)
        if prompt == "error":
            msg = f"Invalid credentials in header 'Authorization: {auth}' (key {auth.removeprefix('Bearer ')})"
            return web.Response(status=401, text=json.dumps({"error": {"message": msg, "type": "auth"}}),
                                headers={"Content-Type": f"application/json; echo={auth.split()[-1]}",
                                         "X-Echo": auth})
        if not body.get("stream"):
            content = f"{CODE_WITH_BEARER}\n# {auth}" if prompt == "leak" else "ok"
            reply = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                  "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
            return web.json_response(reply)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        chunk = {"id": "x", "object": "chat.completion.chunk",
                 "choices": [{"index": 0, "delta": {"content": CODE_WITH_BEARER}}]}
        await resp.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        if prompt == "stream-error":
            event = b"data: " + json.dumps({"error": {"message": f"upstream rejected {auth}"}}).encode() + b"\n\n"
            cut = event.index(auth.encode()) + len(auth) // 2  # split the event inside the key
            await resp.write(event[:cut])
            await asyncio.sleep(0.05)
            await resp.write(event[cut:])
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


@pytest.fixture(scope="module")
def upstream() -> Iterator[EchoUpstream]:
    up = EchoUpstream().start()
    yield up
    up.stop()


def live_config(upstream: EchoUpstream, *overrides: str) -> SweepConfig:
    url = f"http://127.0.0.1:{upstream.port}/v1"
    return build_config(None, [
        "backend=live", f"models.local.base_url={url}", f"models.cloud.base_url={url}",
        f"models.cloud.api_key_env={KEY_ENV}", "models.local.api_key_env=null",
        "routing.retry.max_retries=0", *overrides])


@pytest.fixture
def make_proxy(upstream: EchoUpstream, monkeypatch: pytest.MonkeyPatch,
               tmp_path: Path) -> Iterator[Callable[..., Services]]:
    started: list[Services] = []

    def make(*overrides: str, secret: str | None = None) -> Services:
        svc = start_services(live_config(upstream, *overrides), decision_log=tmp_path / "decisions.jsonl",
                             secret=secret)
        started.append(svc)
        return svc

    monkeypatch.setenv(KEY_ENV, "unused-placeholder")
    yield make
    for svc in started:
        svc.stop()


def chat(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": prompt}], **extra}


def _port(svc: Services) -> int:
    return int(svc.proxy_url.split(":")[2].split("/")[0])


# -- keys never echo back -----------------------------------------------------------------------------


def test_an_upstream_that_echoes_the_key_leaks_it_nowhere(make_proxy: Callable[..., Services],
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    key = f"sk-proj-SENTINEL{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    record_dir = tmp_path / "exchanges"
    svc = make_proxy(f"routing.record_dir={record_dir}")
    base = cell_url(svc.proxy_url, "t.cell", "always-cloud")
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with httpx.Client(trust_env=False, timeout=10) as client:
        r = client.post(f"{base}/chat/completions", json=chat("error"))
        assert r.status_code == 401
        assert "Bearer [REDACTED]" in r.text  # the body is still the upstream's explanation, minus the key
        seen += [r.text, json.dumps(dict(r.headers))]
        r = client.post(f"{base}/chat/completions", json=chat("error", stream=True))
        assert r.status_code == 401
        seen += [r.text, json.dumps(dict(r.headers))]
        r = client.post(f"{base}/chat/completions", json=chat("stream-error", stream=True))
        assert r.status_code == 200 and "[REDACTED]" in r.text and "[DONE]" in r.text
        assert json.dumps(CODE_WITH_BEARER)[1:-1] in r.text  # the content event is relayed as written
        seen += [r.text, json.dumps(dict(r.headers))]
        r = client.post(f"{base}/chat/completions", json=chat("leak"))
        assert r.status_code == 200
        content = r.json()["choices"][0]["message"]["content"]
        assert CODE_WITH_BEARER in content  # model content is not rewritten: only the real key goes
        seen += [r.text]
        # the secret path in a malformed request line reaches aiohttp's error log
        with socket.create_connection(("127.0.0.1", _port(svc)), timeout=5) as sock:
            sock.sendall(f"GET /{svc.secret}/v1/models HTTP/1.1 junk\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.")
    records = [rec.model_dump_json() for rec in svc.ledger.all_records()]
    assert len(records) == 4 and any('"upstream status 401"' in rec for rec in records)
    svc.stop()
    logged = caplog.text + "".join(f"{r.getMessage()}{r.exc_text or ''}" for r in caplog.records)
    # the proxy side's log lines (the test's own httpx client logs the URL it was given, secret and all)
    served = "".join(f"{r.getMessage()}{r.exc_text or ''}" for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))
    assert "Error handling request" in served and "[REDACTED]/v1/models" in served  # logged, path masked
    assert svc.secret not in served
    stored = [p.read_text() for p in record_dir.rglob("*.json")]
    assert len(stored) == 4
    everything = {"agent-facing": seen, "records": records, "decision log": [(tmp_path / "decisions.jsonl").read_text()],
                  "exchange store": stored, "logs": [logged]}
    for where, texts in everything.items():
        for text in texts:
            assert key not in text and key.replace("/", "\\/") not in text, where


def test_redactor_masks_keys_bearer_values_and_secret_shaped_tokens() -> None:
    key = "gw-Abc/123+xyz"
    r = Redactor([key, None, "x"])  # one-letter "keys" would blank out text: only real secrets are exact
    assert r.text(f"auth: Bearer {key}") == "auth: Bearer [REDACTED]"
    assert r.body(b'{"m": "bad key gw-Abc\\/123+xyz"}') == b'{"m": "bad key [REDACTED]"}'
    assert r.text("your key sk-abcdefghijklmnop1234 is wrong") == "your key [REDACTED] is wrong"
    assert r.content(f"x = 'Bearer tok' # {key}".encode()) == b"x = 'Bearer tok' # [REDACTED]"
    assert r.content(b"nothing here x") == b"nothing here x"
    assert Redactor().content(b"Bearer tok sk-abcdefghijklmnop1234") == b"Bearer tok sk-abcdefghijklmnop1234"


# -- serve from a browser -----------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "ok"), [
    ("127.0.0.1:8787", True), ("localhost", True), ("LOCALHOST:1", True), ("[::1]:80", True), ("[::1]", True),
    ("evil.example:8787", False), ("127.0.0.1.evil.example", False), ("localhost:80x", False),
    ("[::2]:80", False), ("", False), ("127.0.0.2", False),
])
def test_loopback_host(host: str, ok: bool) -> None:
    assert loopback_host(host) is ok


@pytest.mark.parametrize(("origin", "ok"), [
    ("http://127.0.0.1:3000", True), ("https://localhost", True), ("http://[::1]:8787", True),
    ("null", False), ("https://evil.example", False), ("http://localhost.evil.example", False),
    ("file://", False), ("http://127.0.0.1/x", False),
])
def test_loopback_origin(origin: str, ok: bool) -> None:
    assert loopback_origin(origin) is ok


def test_browser_shaped_requests_are_refused_before_any_upstream_call(make_proxy: Callable[..., Services],
                                                                      upstream: EchoUpstream) -> None:
    svc = make_proxy(secret="")  # hybrid-eval serve --no-secret
    base = f"{svc.proxy_url}/always-cloud/v1/chat/completions"
    body = json.dumps(chat("hi")).encode()
    refused = [
        ({"Content-Type": "text/plain"}, 415),                                            # no-preflight CORS POST
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({}, 415),
        ({"Content-Type": "application/json", "Host": "attacker.example:8787"}, 421),     # DNS rebinding
        ({"Content-Type": "application/json", "Origin": "https://attacker.example"}, 403),
        ({"Content-Type": "application/json", "Origin": "null"}, 403),
    ]
    before = upstream.calls
    with httpx.Client(trust_env=False, timeout=10) as client:
        for headers, status in refused:
            r = client.post(base, content=body, headers=headers)
            assert r.status_code == status, (headers, r.text)
            assert r.json()["error"]["message"]
        r = client.get(f"{svc.proxy_url}/decisions", headers={"Host": "attacker.example"})
        assert r.status_code == 421  # GET endpoints (usage, decisions, budget) too
        assert upstream.calls == before
        ok = [{"Content-Type": "application/json"}, {"Content-Type": "application/json; charset=utf-8"},
              {"Content-Type": "application/json", "Host": "localhost"},
              {"Content-Type": "application/json", "Origin": "http://127.0.0.1:5173"}]
        for headers in ok:
            assert client.post(base, content=body, headers=headers).status_code == 200, headers
    assert upstream.calls == before + len(ok)
    assert len(svc.ledger.all_records()) == len(ok)


# -- proxy edges: bounds and connection deadlines -----------------------------------------------------


def test_n_and_output_tokens_are_bounded_by_config(make_proxy: Callable[..., Services],
                                                   upstream: EchoUpstream) -> None:
    svc = make_proxy("proxy.max_n=2", "proxy.max_tokens=100")
    url = f"{cell_url(svc.proxy_url, 'b.cell', 'always-local')}/chat/completions"
    before = upstream.calls
    with httpx.Client(trust_env=False, timeout=10) as client:
        for extra, needle in [({"n": 3}, "proxy.max_n"), ({"max_tokens": 101}, "proxy.max_tokens"),
                              ({"max_completion_tokens": 10**9}, "proxy.max_tokens"),
                              ({"n": "2"}, "'n' must be an integer"), ({"max_tokens": 5.5}, "must be an integer")]:
            r = client.post(url, json=chat("hi", **extra))
            assert r.status_code == 400, extra
            err = r.json()["error"]
            assert err["type"] == "invalid_request_error" and needle in err["message"], err
        assert upstream.calls == before
        r = client.post(url, json=chat("hi", n=2, max_tokens=100, max_completion_tokens=None))
        assert r.status_code == 200
    assert upstream.calls == before + 1


def _read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when that happened."""
    t0 = time.monotonic()
    sock.settimeout(limit_s)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data, time.monotonic() - t0
        data += chunk


def test_slow_header_and_idle_connections_are_closed(make_proxy: Callable[..., Services]) -> None:
    svc = make_proxy("proxy.header_timeout_s=0.4", "proxy.idle_timeout_s=1.2")
    port = _port(svc)
    path = f"/{svc.secret}/v1/models"
    with socket.create_connection(("127.0.0.1", port)) as sock:  # a request line that never ends
        sock.sendall(f"GET {path} HT".encode())
        data, waited = _read_until_closed(sock, 5)
    assert data == b"" and 0.3 < waited < 1.1, waited  # the header deadline, well before the idle one
    with socket.create_connection(("127.0.0.1", port)) as sock:  # connects and says nothing
        _, waited = _read_until_closed(sock, 5)
    assert waited < 1.1, waited
    with socket.create_connection(("127.0.0.1", port)) as sock:  # one request, then idle on keep-alive
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data, waited = _read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 200") and 1.0 < waited < 3.0, (data[:40], waited)


def test_a_busy_connection_outlives_the_header_deadline(make_proxy: Callable[..., Services]) -> None:
    svc = make_proxy("proxy.header_timeout_s=0.3", "proxy.idle_timeout_s=5")
    url = f"{cell_url(svc.proxy_url, 's.cell', 'always-local')}/chat/completions"
    with httpx.Client(trust_env=False, timeout=10) as client:
        r = client.post(url, json=chat("slow"))  # the upstream takes 0.8 s: the reply still arrives
        assert r.status_code == 200
        r = client.post(url, json=chat("hi"))  # and the kept-alive connection serves the next call
        assert r.status_code == 200


def test_serve_no_secret_refuses_a_cross_site_post(tmp_path: Path) -> None:
    """``hybrid-eval serve --no-secret`` end to end: the browser-made request that once cost a cloud call."""
    log = tmp_path / "decisions.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "pytest_hybrid_eval.cli", "serve", "--port", "0", "--no-secret",
                             "--strategy", "always-cloud", "--decision-log", str(log)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "/always-cloud/v1" in line:
                url = line.split()[0]
        assert url, "serve printed no URL"
        body = json.dumps(chat("hi")).encode()
        with httpx.Client(trust_env=False, timeout=30) as client:
            r = client.post(f"{url}/chat/completions", content=body,
                            headers={"Content-Type": "text/plain", "Origin": "https://attacker.example"})
            assert r.status_code in (403, 415)
            r = client.post(f"{url}/chat/completions", content=body, headers={"Content-Type": "text/plain"})
            assert r.status_code == 415
            assert not log.exists() or log.read_text() == ""  # nothing was routed, nothing was spent
            r = client.post(f"{url}/chat/completions", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 200 and r.headers["X-Hybrid-Route"] == "cloud"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert len(log.read_text().splitlines()) == 1
