"""The routing proxy against a fake OpenAI-shaped upstream on real loopback sockets.

The fake upstream is written here (not the scripted backend) so these tests pin the proxy's own
contract: byte-for-byte pass-through, usage handling, routing, retries, errors and the ledger.
The last user message tells the fake how to behave (e.g. ``mode:nousage``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing.relay import Relay
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import Services, fetch_usage, start_services
from pytest_hybrid_eval.routing.sse import SSEWatcher, assemble_sse, event_payload
from pytest_hybrid_eval.routing.strategies import Decision, RouteRequest, StrategyContext, strategy_names
from pytest_hybrid_eval.routing.tokens import count_messages, count_text
from pytest_hybrid_eval.routing.validation import validate_body

API_KEY_ENV = "HYBRID_EVAL_TEST_CLOUD_KEY"
API_KEY = "sk-test-" + "Zq7" * 10
REPLY_TEXT = "def add(a, b):\n    return a + b\n"


# -- the fake upstream -----------------------------------------------------------------------------------


def _mode(body: dict[str, Any]) -> str:
    text = str(body["messages"][-1].get("content") or "")
    return text.split("mode:", 1)[1].split()[0] if "mode:" in text else "plain"


def fake_completion(tier: str, model: str, usage: bool, tool_call: bool = False, empty: bool = False) -> bytes:
    """A non-stream reply; odd whitespace on purpose so any re-serialization would show."""
    text = "" if empty else f"[{tier}] {REPLY_TEXT}"
    msg: dict[str, Any] = {"role": "assistant", "content": None if tool_call else text}
    if tool_call:
        msg["tool_calls"] = [{"id": "call_1", "type": "function",
                              "function": {"name": "write_file", "arguments": '{"path": "a.py", "text": "x = 1"}'}}]
    obj: dict[str, Any] = {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
                           "choices": [{"index": 0, "message": msg,
                                        "finish_reason": "tool_calls" if tool_call else "stop"}]}
    if usage:
        obj["usage"] = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18,
                        "prompt_tokens_details": {"cached_tokens": 3},
                        "completion_tokens_details": {"reasoning_tokens": 2}}
    return json.dumps(obj, indent=1).encode()


def fake_events(tier: str, model: str, usage: bool, tool_call: bool = False, empty: bool = False) -> list[bytes]:
    """The SSE events of a streamed reply, one write each."""
    def ev(obj: dict[str, Any]) -> bytes:
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": model}
    out = [ev({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})]
    if tool_call:
        out.append(ev({**base, "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": "write_file", "arguments": '{"path": "a.py"}'}}]}}]}))
        out.append(ev({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}))
    else:
        for piece in () if empty else (f"[{tier}] ", "def add(a, b):\n", "    return a + b\n"):
            out.append(ev({**base, "choices": [{"index": 0, "delta": {"content": piece}}]}))
        out.append(ev({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    if usage:
        out.append(ev({**base, "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 7,
                                                        "total_tokens": 18}}))
    out.append(b"data: [DONE]\n\n")
    return out


class FakeUpstream:
    """An OpenAI-shaped server for both tiers (``/local/v1``, ``/cloud/v1``) on its own loop thread."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.sent: dict[str, bytes] = {}
        self.attempts: dict[str, int] = {}
        self.disconnects: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> FakeUpstream:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tier}/v1/chat/completions", self.chat)
        app.router.add_post("/{tier}/v1/embeddings", self.embeddings)
        app.router.add_get("/{tier}/v1/models", self.models)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "m", "object": "model"}]})

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        data = [{"object": "embedding", "index": i, "embedding": [1.0, float(len(t))]}
                for i, t in enumerate(body["input"])]
        return web.json_response({"object": "list", "data": data, "usage": {"prompt_tokens": 4, "total_tokens": 4}})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        tier = request.match_info["tier"]
        raw = await request.read()
        body = json.loads(raw)
        self.requests.append({"tier": tier, "headers": dict(request.headers), "body": body, "raw": raw})
        mode = _mode(body)
        tag = str(body["messages"][-1].get("content"))
        self.attempts[tag] = self.attempts.get(tag, 0) + 1
        if mode == "flaky429" and self.attempts[tag] == 1:
            return web.json_response({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "0"})
        if mode == "flaky500" and self.attempts[tag] == 1:
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if mode == "always500":
            return web.Response(body=b'{"error": {"message": "upstream broke", "type": "server_error"}}',
                                status=500, content_type="application/json")
        if mode == "bad400":
            return web.Response(body=b'{"error": {"message": "bad param", "type": "invalid_request_error"}}',
                                status=400, content_type="application/json")
        if mode == "hang":
            await asyncio.sleep(60)
        usage = mode != "nousage"
        tool = mode == "toolcall"
        empty = mode == "emptylocal" and tier == "local"
        model = body["model"]
        if not body.get("stream"):
            data = fake_completion(tier, model, usage, tool, empty)
            self.sent[tag] = data
            return web.Response(body=data, content_type="application/json")
        want_usage = usage and bool((body.get("stream_options") or {}).get("include_usage"))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        sent = b""
        try:
            for event in fake_events(tier, model, want_usage, tool, empty):
                if mode == "slowstream":
                    await asyncio.sleep(0.2)
                await resp.write(event)
                sent += event
            if mode == "slowstream":
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    await resp.write(b": keep-alive\n\n")
        except (asyncio.CancelledError, ConnectionResetError):
            self.disconnects.append(tag)
            raise
        self.sent[tag] = sent
        await resp.write_eof()
        return resp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def make_config(upstream_url: str, cloud_url: str | None = None, **routing: Any) -> SweepConfig:
    return SweepConfig.model_validate({
        "backend": "live",
        "models": {
            "local": {"name": "local-model", "base_url": f"{upstream_url}/local/v1"},
            "cloud": {"name": "cloud-model", "base_url": cloud_url or f"{upstream_url}/cloud/v1",
                      "api_key_env": API_KEY_ENV},
        },
        "timeouts": {"connect_s": 2.0, "read_s": routing.pop("read_s", 5.0)},
        "routing": {"retry": {"max_retries": 2, "backoff_s": 0.01}, "max_body_bytes": 64 * 1024, **routing},
    })


@pytest.fixture
def make_proxy(upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Services]]:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    started: list[Services] = []

    def make(**kw: Any) -> Services:
        svc = start_services(make_config(upstream.url, **kw))
        started.append(svc)
        return svc

    yield make
    for svc in started:
        svc.stop()


@pytest.fixture
def proxy(make_proxy: Callable[..., Services]) -> Services:
    return make_proxy()


def chat_body(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "whatever", "messages": [{"role": "system", "content": "be brief"},
                                              {"role": "user", "content": text}], **extra}


def post(svc: Services, cell: str, strategy: str, body: Any, **kw: Any) -> httpx.Response:
    url = f"{cell_url(svc.proxy_url, cell, strategy)}/chat/completions"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(url, content=content, headers={"Content-Type": "application/json"}, timeout=30,
                      trust_env=False, **kw)


def tag() -> str:
    return uuid.uuid4().hex[:8]


# -- pass-through ----------------------------------------------------------------------------------------


def test_non_stream_reply_is_passed_through_byte_for_byte(proxy: Services, upstream: FakeUpstream) -> None:
    text = f"hi {tag()}"
    r = post(proxy, "t.a.always-local.s1", "always-local", chat_body(text))
    assert r.status_code == 200
    assert r.content == upstream.sent[text]
    assert r.headers["X-Hybrid-Route"] == "local"
    assert r.headers["X-Hybrid-Strategy"] == "always-local"
    assert r.headers["X-Hybrid-Call-Index"] == "0"
    rec = proxy.ledger.usage("t.a.always-local.s1").calls[0]
    assert (rec.usage.prompt, rec.usage.completion, rec.usage.cached, rec.usage.reasoning) == (11, 7, 3, 2)
    assert rec.usage_source == "upstream" and rec.status == 200 and rec.error is None
    assert rec.model == "local-model" and rec.ttft_ms is not None and rec.total_ms >= rec.ttft_ms


def test_stream_with_include_usage_is_byte_identical(proxy: Services, upstream: FakeUpstream) -> None:
    text = f"s {tag()}"
    body = chat_body(text, stream=True, stream_options={"include_usage": True})
    r = post(proxy, "t.a.always-cloud.s1", "always-cloud", body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.content == upstream.sent[text]
    assert b'"usage"' in r.content
    rec = proxy.ledger.usage("t.a.always-cloud.s1").calls[0]
    assert rec.stream and rec.usage.prompt == 11 and rec.usage_source == "upstream"


def test_stream_without_include_usage_strips_only_the_usage_chunk(proxy: Services,
                                                                  upstream: FakeUpstream) -> None:
    text = f"s {tag()}"
    r = post(proxy, "t.a.always-local.s2", "always-local", chat_body(text, stream=True))
    assert r.status_code == 200
    sent = upstream.sent[text]
    forwarded = upstream.requests[-1]["body"]
    assert forwarded["stream_options"] == {"include_usage": True}
    assert b'"usage"' in sent and b'"usage"' not in r.content
    usage_event = next(e for e in sent.split(b"\n\n") if b'"usage"' in e) + b"\n\n"
    assert r.content == sent.replace(usage_event, b"")
    assert r.content.endswith(b"data: [DONE]\n\n")
    rec = proxy.ledger.usage("t.a.always-local.s2").calls[0]
    assert rec.usage.completion == 7 and rec.usage_source == "upstream"


def test_usage_is_estimated_with_the_tokenizer_when_upstream_sends_none(proxy: Services) -> None:
    text = f"mode:nousage {tag()}"
    body = chat_body(text)
    assert post(proxy, "t.a.always-local.s3", "always-local", body).status_code == 200
    r = post(proxy, "t.a.always-local.s3", "always-local", {**body, "stream": True})
    assert r.status_code == 200 and b'"usage"' not in r.content
    recs = proxy.ledger.usage("t.a.always-local.s3").calls
    assert [r.call_index for r in recs] == [0, 1]
    for rec in recs:
        assert rec.usage_source == "estimated"
        assert rec.usage.prompt == count_messages(body["messages"])
        assert rec.usage.completion == count_text(f"[local] {REPLY_TEXT}")


def test_tool_call_reply_passes_through(proxy: Services, upstream: FakeUpstream) -> None:
    text = f"mode:toolcall {tag()}"
    tools = [{"type": "function", "function": {"name": "write_file", "parameters": {"type": "object"}}}]
    r = post(proxy, "t.a.always-local.s4", "always-local", chat_body(text, tools=tools))
    assert r.content == upstream.sent[text]
    assert r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "write_file"


# -- routing ---------------------------------------------------------------------------------------------


def test_baselines_route_to_their_tier(proxy: Services, upstream: FakeUpstream) -> None:
    for strategy, tier in (("always-local", "local"), ("always-cloud", "cloud")):
        text = f"r {tag()}"
        r = post(proxy, f"t.a.{strategy}.s5", strategy, chat_body(text))
        assert r.headers["X-Hybrid-Route"] == tier
        assert upstream.requests[-1]["tier"] == tier
        assert upstream.requests[-1]["body"]["model"] == f"{tier}-model"
        rec = proxy.ledger.usage(f"t.a.{strategy}.s5").calls[0]
        assert rec.choice == tier and not rec.forced


def test_model_suffix_forces_the_route(proxy: Services, upstream: FakeUpstream) -> None:
    body = chat_body(f"f {tag()}")
    body["model"] = "anything!cloud"
    r = post(proxy, "t.a.always-local.s6", "always-local", body)
    assert r.headers["X-Hybrid-Route"] == "cloud"
    assert upstream.requests[-1]["tier"] == "cloud"
    assert upstream.requests[-1]["body"]["model"] == "cloud-model"
    body["model"] = "x!local"
    r = post(proxy, "t.a.always-local.s6", "always-cloud", body)
    assert r.headers["X-Hybrid-Route"] == "local"
    recs = proxy.ledger.usage("t.a.always-local.s6").calls
    assert [(c.choice, c.forced) for c in recs] == [("cloud", True), ("local", True)]


def test_same_parameters_reach_both_tiers(proxy: Services, upstream: FakeUpstream) -> None:
    params = {"seed": 1234, "temperature": 0.3, "top_p": 0.9, "stop": ["\n\nEND"], "max_tokens": 321,
              "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
              "tool_choice": "auto", "response_format": {"type": "json_object"}}
    text = f"p {tag()}"
    got = {}
    for strategy in ("always-local", "always-cloud"):
        post(proxy, "t.a.x.s7", strategy, chat_body(text, **params))
        req = upstream.requests[-1]
        got[req["tier"]] = {k: v for k, v in req["body"].items() if k != "model"}
    assert got["local"] == got["cloud"]
    for key, value in params.items():
        assert got["local"][key] == value


def test_standalone_route_without_cell(proxy: Services) -> None:
    url = f"{proxy.proxy_url}/always-cloud/v1/chat/completions"
    r = httpx.post(url, json=chat_body(f"s {tag()}"), trust_env=False)
    assert r.status_code == 200 and r.headers["X-Hybrid-Route"] == "cloud"


# -- errors ----------------------------------------------------------------------------------------------


def test_unknown_strategy_is_404_listing_valid_names(proxy: Services) -> None:
    r = post(proxy, "t.a.b.s1", "no-such-strategy", chat_body("x"))
    assert r.status_code == 404
    msg = r.json()["error"]["message"]
    for name in strategy_names():
        assert name in msg


def test_wrong_secret_and_unknown_paths_are_generic_404(proxy: Services) -> None:
    port_url = proxy.proxy_url.rsplit("/", 1)[0]
    for url in (f"{port_url}/wrong-secret/always-local/v1/chat/completions", f"{port_url}/",
                f"{proxy.proxy_url}/nope"):
        r = httpx.post(url, json=chat_body("x"), trust_env=False)
        assert r.status_code == 404
        assert proxy.secret not in r.text
        assert r.json()["error"]["message"] == "not found"


@pytest.mark.parametrize("raw, needle", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"model": "m"}).encode(), "messages"),
    (json.dumps({"messages": "hi"}).encode(), "messages"),
    (json.dumps({"messages": []}).encode(), "messages"),
    (json.dumps({"messages": [{"content": "no role"}]}).encode(), "role"),
    (json.dumps({"messages": [{"role": "user", "content": "x"}], "stream": "yes"}).encode(), "stream"),
    (json.dumps({"messages": [{"role": "user", "content": "x"}], "tools": {}}).encode(), "tools"),
])
def test_malformed_requests_are_400(proxy: Services, raw: bytes, needle: str) -> None:
    r = post(proxy, "t.a.bad.s1", "always-local", raw)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and needle in err["message"]
    assert proxy.ledger.usage("t.a.bad.s1").calls == []


def test_body_over_the_limit_is_413(proxy: Services) -> None:
    r = post(proxy, "t.a.big.s1", "always-local", chat_body("x" * 70 * 1024))
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_429_and_500_are_retried_and_counted(proxy: Services, upstream: FakeUpstream) -> None:
    for i, mode in enumerate(("flaky429", "flaky500")):
        text = f"mode:{mode} {tag()}"
        r = post(proxy, "t.a.retry.s1", "always-cloud", chat_body(text))
        assert r.status_code == 200
        assert upstream.attempts[text] == 2
        rec = proxy.ledger.usage("t.a.retry.s1").calls[i]
        assert rec.retries == 1 and rec.status == 200 and rec.error is None


def test_upstream_error_is_passed_through_after_retries(proxy: Services, upstream: FakeUpstream) -> None:
    text = f"mode:always500 {tag()}"
    r = post(proxy, "t.a.err.s1", "always-local", chat_body(text))
    assert r.status_code == 500
    assert r.content == b'{"error": {"message": "upstream broke", "type": "server_error"}}'
    assert upstream.attempts[text] == 3
    text = f"mode:bad400 {tag()}"
    r = post(proxy, "t.a.err.s1", "always-local", chat_body(text, stream=True))
    assert r.status_code == 400 and upstream.attempts[text] == 1
    recs = proxy.ledger.usage("t.a.err.s1").calls
    assert [(c.status, c.retries, c.usage_source) for c in recs] == [(500, 2, "none"), (400, 0, "none")]
    assert all(c.error for c in recs)
    assert proxy.ledger.usage("t.a.err.s1").failed_calls == 2


def test_unreachable_upstream_is_502(upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with start_services(make_config(upstream.url, cloud_url=dead)) as svc:
        r = post(svc, "t.a.dead.s1", "always-cloud", chat_body("x"))
        assert r.status_code == 502 and r.json()["error"]["type"] == "upstream_error"
        rec = svc.ledger.usage("t.a.dead.s1").calls[0]
        assert rec.status == 502 and rec.retries == 2 and rec.error


def test_hanging_upstream_times_out_as_504(make_proxy: Callable[..., Services]) -> None:
    svc = make_proxy(read_s=0.3, retry={"max_retries": 0, "backoff_s": 0})
    t = time.perf_counter()
    r = post(svc, "t.a.hang.s1", "always-local", chat_body(f"mode:hang {tag()}"))
    assert r.status_code == 504 and time.perf_counter() - t < 5
    assert svc.ledger.usage("t.a.hang.s1").calls[0].status == 504


def test_client_disconnect_cancels_upstream_and_is_recorded(proxy: Services, upstream: FakeUpstream) -> None:
    text = f"mode:slowstream {tag()}"
    url = f"{cell_url(proxy.proxy_url, 't.a.gone.s1', 'always-local')}/chat/completions"
    with httpx.Client(trust_env=False) as client, client.stream("POST", url, json=chat_body(text, stream=True)) as r:
        next(r.iter_raw())
    deadline = time.time() + 5
    while time.time() < deadline and not (proxy.ledger.usage("t.a.gone.s1").calls and text in upstream.disconnects):
        time.sleep(0.05)
    rec = proxy.ledger.usage("t.a.gone.s1").calls[0]
    assert rec.error == "client disconnected"
    assert text in upstream.disconnects


# -- ledger, health, secrets -----------------------------------------------------------------------------


def test_ledger_totals_over_http(proxy: Services) -> None:
    cell = "t.a.mixed.s9"
    for strategy in ("always-local", "always-local", "always-cloud"):
        assert post(proxy, cell, strategy, chat_body(f"l {tag()}")).status_code == 200
    usage = fetch_usage(proxy.proxy_url, cell)
    assert (usage.local_calls, usage.cloud_calls, usage.failed_calls) == (2, 1, 0)
    assert usage.local.prompt == 22 and usage.cloud.completion == 7 and usage.local.cached == 6
    assert [c.call_index for c in usage.calls] == [0, 1, 2]
    empty = fetch_usage(proxy.proxy_url, "never.called.cell.s0")
    assert empty.calls == [] and empty.local_calls == 0


def test_healthz_up_and_down(proxy: Services, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> None:
    r = httpx.get(f"{proxy.proxy_url}/healthz", trust_env=False)
    assert r.status_code == 200 and r.json()["backends"]["cloud"]["ok"] is True
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    with start_services(make_config(upstream.url, cloud_url=f"http://127.0.0.1:{free_port()}/v1")) as svc:
        r = httpx.get(f"{svc.proxy_url}/healthz", trust_env=False)
        assert r.status_code == 503 and r.json()["down"] == ["cloud"]
        assert r.json()["backends"]["local"]["ok"] is True


def test_models_and_ollama_probes(proxy: Services) -> None:
    base = cell_url(proxy.proxy_url, "t.a.m.s1", "always-local")
    ids = [m["id"] for m in httpx.get(f"{base}/models", trust_env=False).json()["data"]]
    assert ids == ["local-model", "cloud-model"]
    tags = httpx.get(f"{proxy.proxy_url}/api/tags", trust_env=False).json()
    assert [m["name"] for m in tags["models"]] == ["local-model", "cloud-model"]
    assert "version" in httpx.get(f"{proxy.proxy_url}/api/version", trust_env=False).json()


def test_api_key_reaches_only_the_cloud_upstream_and_no_record(proxy: Services, upstream: FakeUpstream) -> None:
    post(proxy, "t.a.key.s1", "always-cloud", chat_body(f"k {tag()}"))
    assert upstream.requests[-1]["headers"]["Authorization"] == f"Bearer {API_KEY}"
    post(proxy, "t.a.key.s1", "always-local", chat_body(f"k {tag()}"))
    assert "Authorization" not in upstream.requests[-1]["headers"]
    assert upstream.requests[-1]["headers"]["Accept-Encoding"] == "identity"
    dumped = json.dumps([r.model_dump(mode="json") for r in proxy.ledger.all_records()])
    assert API_KEY not in dumped
    for path in ("/decisions", "/healthz", "/cells/t.a.key.s1/usage"):
        assert API_KEY not in httpx.get(f"{proxy.proxy_url}{path}", trust_env=False).text
    assert API_KEY not in repr(proxy)


# -- units -----------------------------------------------------------------------------------------------


def test_sse_watcher_finds_usage_across_split_chunks() -> None:
    stream = b"".join(fake_events("local", "m", usage=True))
    w = SSEWatcher()
    events = []
    for i in range(0, len(stream), 7):
        events.extend(w.feed(stream[i:i + 7]))
    assert w.flush() == b""
    assert b"".join(raw for raw, _ in events) == stream
    assert [u for _, u in events].count(True) == 1
    assert w.usage is not None and w.usage.prompt == 11
    assert "".join(w.text) == f"[local] {REPLY_TEXT}"


def test_validate_body_accepts_a_plain_request() -> None:
    assert validate_body(chat_body("x", stream=False, tools=[])) is None


# -- service lifecycle, scripted wiring, aux calls -------------------------------------------------------


def test_scripted_factory_is_served_and_told_cell_call_and_tier(tmp_path: Any) -> None:
    seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((request.match_info["tier"], dict(request.headers), body))
        return web.Response(body=fake_completion("x", body["model"], True), content_type="application/json")

    def factory() -> web.Application:
        app = web.Application()
        app.router.add_post("/{tier}/v1/chat/completions", chat)
        return app

    cfg = SweepConfig()
    log = tmp_path / "decisions.jsonl"
    svc = start_services(cfg, scripted_app_factory=factory, decision_log=log)
    try:
        assert svc.scripted_url is not None and svc.scripted_url.startswith("http://127.0.0.1:")
        cell = "t1.builtin.always-cloud.s42"
        for _ in range(2):
            assert post(svc, cell, "always-cloud", chat_body("x")).status_code == 200
        assert [(t, h["X-Hybrid-Cell"], h["X-Hybrid-Call"], h["X-Hybrid-Tier"]) for t, h, _ in seen] == [
            ("cloud", cell, "0", "cloud"), ("cloud", cell, "1", "cloud")]
        assert seen[0][2]["model"] == cfg.models.cloud.name
        assert "Authorization" not in seen[0][1]
        assert svc.ledger.usage(cell).calls[0].backend_kind == "scripted"
        lines = log.read_text().splitlines()
        assert [json.loads(line)["call_index"] for line in lines] == [0, 1]
    finally:
        svc.stop()
    svc.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{svc.proxy_url}/healthz", trust_env=False, timeout=2)


def test_startup_failures_raise_quickly() -> None:
    from pytest_hybrid_eval.errors import HybridEvalError

    def broken() -> web.Application:
        raise RuntimeError("no app for you")

    t = time.perf_counter()
    with pytest.raises(HybridEvalError, match="no app for you"):
        start_services(SweepConfig(), scripted_app_factory=broken)
    with pytest.raises(HybridEvalError, match="scripted"):
        start_services(SweepConfig())  # scripted backend but no scripted server
    assert time.perf_counter() - t < 5


def test_missing_api_key_env_is_a_config_error(upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_hybrid_eval.errors import ConfigError

    monkeypatch.delenv(API_KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match=API_KEY_ENV):
        start_services(make_config(upstream.url))


def test_aux_client_calls_the_local_backend_with_a_timeout(upstream: FakeUpstream) -> None:
    import aiohttp

    from pytest_hybrid_eval.backends import OpenAICompatBackend
    from pytest_hybrid_eval.config import Retry
    from pytest_hybrid_eval.routing.auxclient import LocalAuxClient

    async def go() -> None:
        backend = OpenAICompatBackend(f"{upstream.url}/local/v1", "local-model")
        async with aiohttp.ClientSession() as session:
            aux = LocalAuxClient(backend, session, Retry(max_retries=0), call_index=3)
            text, rec = await aux.chat("classifier", [{"role": "user", "content": "classify"}], "tiny", "c", 2.0)
            assert text == f"[local] {REPLY_TEXT}"
            assert rec.ok and rec.kind == "classifier" and rec.model == "tiny" and rec.usage.prompt == 11
            assert upstream.requests[-1]["body"]["model"] == "tiny"
            assert upstream.requests[-1]["headers"]["X-Hybrid-Aux"] == "classifier"
            vecs, erec = await aux.embed(["ab", "abc"], "emb", "c", 2.0)
            assert vecs == [[1.0, 2.0], [1.0, 3.0]] and erec.usage.prompt == 4 and erec.kind == "embedding"
            t = time.perf_counter()
            text, rec = await aux.chat("classifier", [{"role": "user", "content": "mode:hang"}], "tiny", "c", 0.2)
            assert text is None and not rec.ok and "timed out" in (rec.error or "")
            assert time.perf_counter() - t < 2

    asyncio.run(go())


def test_pinned_port_and_no_secret_for_standalone_serve(upstream: FakeUpstream,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    port = free_port()
    with start_services(make_config(upstream.url), port=port, secret="") as svc:
        assert svc.proxy_url == f"http://127.0.0.1:{port}"
        r = httpx.post(f"{svc.proxy_url}/always-local/v1/chat/completions", json=chat_body("x"), trust_env=False)
        assert r.status_code == 200 and r.headers["X-Hybrid-Route"] == "local"


def test_stream_call_is_in_the_ledger_before_the_client_sees_done(proxy: Services) -> None:
    """An agent stops at [DONE] and its worker fetches usage at once: the call must already be there."""
    cell = "t.a.done.s1"
    url = f"{cell_url(proxy.proxy_url, cell, 'always-local')}/chat/completions"
    with httpx.Client(trust_env=False) as client:
        for i in range(15):
            body = chat_body(f"d {tag()}", stream=True, stream_options={"include_usage": i % 2 == 0})
            with client.stream("POST", url, json=body) as r:
                for line in r.iter_lines():
                    if line == "data: [DONE]":
                        assert len(fetch_usage(proxy.proxy_url, cell).calls) == i + 1
                        break
                else:
                    pytest.fail("stream ended without [DONE]")


# -- verify, then escalate -------------------------------------------------------------------------------

needs_escalate = pytest.mark.skipif("escalate" not in strategy_names(), reason="no escalate strategy")


@needs_escalate
@pytest.mark.parametrize("stream", [False, True])
def test_escalate_releases_a_good_local_reply_unaltered(proxy: Services, upstream: FakeUpstream,
                                                        stream: bool) -> None:
    text = f"e {tag()}"
    cell = f"t.a.escalate.s{int(stream)}"
    r = post(proxy, cell, "escalate", chat_body(text, stream=stream))
    assert r.status_code == 200 and r.headers["X-Hybrid-Route"] == "local"
    assert "X-Hybrid-Escalated" not in r.headers
    sent = upstream.sent[text]
    if stream:  # the client did not ask for usage: only the usage event is left out
        sent = b"".join(e for e in fake_events("local", "local-model", True) if b'"usage"' not in e)
    assert r.content == sent
    [rec] = proxy.ledger.usage(cell).calls
    assert rec.choice == "local" and "escalated" not in rec.features and rec.usage.prompt == 11


@needs_escalate
@pytest.mark.parametrize("stream", [False, True])
def test_escalate_reasks_the_cloud_and_counts_both_calls(proxy: Services, upstream: FakeUpstream,
                                                         stream: bool) -> None:
    text = f"mode:emptylocal {tag()}"
    cell = f"t.a.escalate.s{10 + int(stream)}"
    extra = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    r = post(proxy, cell, "escalate", chat_body(text, **extra))
    assert r.status_code == 200
    assert r.headers["X-Hybrid-Route"] == "cloud" and r.headers["X-Hybrid-Escalated"] == "1"
    assert [q["tier"] for q in upstream.requests[-2:]] == ["local", "cloud"]
    assert r.content == upstream.sent[text]  # the cloud's bytes, exactly
    usage = proxy.ledger.usage(cell)
    local, cloud = usage.calls
    assert (local.choice, cloud.choice) == ("local", "cloud")
    assert local.call_index == cloud.call_index == 0
    assert local.features["escalated"] is True and "empty" in local.features["escalation_reason"]
    assert cloud.features["escalated_from"] == "local" and cloud.reason.startswith("escalated from local")
    assert (usage.local_calls, usage.cloud_calls, usage.failed_calls) == (1, 1, 0)
    assert usage.local.prompt == 11 and usage.cloud.prompt == 11


def test_escalating_decision_of_a_strategy_without_a_check_is_a_recorded_500(
        proxy: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is found through EscalatingStrategy only: a strategy without one cannot escalate."""
    from pytest_hybrid_eval.routing import strategies

    class NoCheck:
        name = "no-check"

        async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
            return Decision("local", "verify me", verify_then_escalate=True)

    monkeypatch.setattr(strategies, "_REGISTRY", dict(strategies._REGISTRY))
    strategies.register("no-check")(NoCheck)
    cell = "t.a.no-check.s1"
    r = post(proxy, cell, "no-check", chat_body(f"n {tag()}"))
    assert r.status_code == 500 and "needs_escalation" in r.json()["error"]["message"]
    [rec] = proxy.ledger.usage(cell).calls
    assert rec.status == 500 and "needs_escalation" in (rec.error or "")


def test_sse_lines_end_only_at_lf_or_crlf_and_data_loses_one_space() -> None:
    """U+2028 and NEL may sit raw in a JSON string; they are not line ends (``str.splitlines`` says they are)."""
    content = "a\u2028b\x85c"
    chunk = {"choices": [{"index": 0, "delta": {"content": content}}]}
    raw = b"data:" + json.dumps(chunk, ensure_ascii=False).encode() + b"\r\n\r\n"
    watcher = SSEWatcher()
    assert watcher.feed(raw) == [(raw, False)]
    assert watcher.malformed == 0 and watcher.text == [content]
    assert assemble_sse(raw)["choices"][0]["message"]["content"] == content
    assert event_payload(b"data: x\ndata:  y\n: a comment\ndata\nevent: e\n\n") == "x\n y"


def test_assemble_sse_folds_a_stream_into_one_message() -> None:
    msg = assemble_sse(b"".join(fake_events("local", "m", True)))["choices"][0]
    assert msg["message"]["content"] == f"[local] {REPLY_TEXT}" and msg["finish_reason"] == "stop"
    tool = assemble_sse(b"".join(fake_events("local", "m", False, tool_call=True)))["choices"][0]
    assert tool["message"]["tool_calls"][0]["function"] == {"name": "write_file", "arguments": '{"path": "a.py"}'}
    assert tool["finish_reason"] == "tool_calls"


@needs_escalate
def test_escalation_whose_cloud_call_breaks_records_the_error_on_the_cloud_call(
        proxy: Services, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside the cloud re-ask must show on the cloud record, not leave it looking clean."""
    real_forward = Relay.forward

    async def broken_forward(self, request, raw, body, cell_id, call, tier, *args, **kwargs):
        if tier == "cloud":
            raise RuntimeError("cloud path broke")
        return await real_forward(self, request, raw, body, cell_id, call, tier, *args, **kwargs)

    monkeypatch.setattr(Relay, "forward", broken_forward)
    cell = "t.a.escalate.s77"
    r = post(proxy, cell, "escalate", chat_body(f"mode:emptylocal {tag()}"))
    assert r.status_code >= 500
    cloud = [c for c in proxy.ledger.usage(cell).calls if c.choice == "cloud"]
    assert len(cloud) == 1 and cloud[0].error and "cloud path broke" in cloud[0].error
