"""The official ``openai`` SDK, unchanged, talks to the proxy as it would to OpenAI.

Agents are built on this SDK (or mimic it), so if it parses our replies, streams and usage, agents will.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import openai
import pytest

from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import Services, start_services


def _load_fakes() -> ModuleType:
    """The fake upstream of test_proxy.py, loaded by path so this works under any pytest import mode."""
    spec = importlib.util.spec_from_file_location("_hybrid_proxy_fakes", Path(__file__).with_name("test_proxy.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fakes = _load_fakes()
API_KEY, API_KEY_ENV, REPLY_TEXT = _fakes.API_KEY, _fakes.API_KEY_ENV, _fakes.REPLY_TEXT
FakeUpstream, make_config = _fakes.FakeUpstream, _fakes.make_config


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    fake = FakeUpstream().start()
    mp = pytest.MonkeyPatch()
    mp.setenv(API_KEY_ENV, API_KEY)
    svc = start_services(make_config(fake.url))
    mp.undo()
    yield svc
    svc.stop()
    fake.stop()


def client(svc: Services, cell: str, strategy: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=cell_url(svc.proxy_url, cell, strategy), api_key="dummy", max_retries=0,
                         http_client=httpx.Client(trust_env=False))


def test_sdk_non_streaming(services: Services) -> None:
    c = client(services, "sdk.builtin.always-local.s1", "always-local")
    raw = c.chat.completions.with_raw_response.create(
        model="any", messages=[{"role": "user", "content": "hello"}], seed=7, temperature=0)
    assert raw.headers["x-hybrid-route"] == "local"
    out = raw.parse()
    assert out.choices[0].message.content == f"[local] {REPLY_TEXT}"
    assert out.usage is not None and out.usage.prompt_tokens == 11 and out.usage.completion_tokens == 7
    assert out.model == "local-model"


def test_sdk_streaming_with_include_usage(services: Services) -> None:
    c = client(services, "sdk.builtin.always-cloud.s1", "always-cloud")
    chunks = list(c.chat.completions.create(model="any", messages=[{"role": "user", "content": "hello"}],
                                            stream=True, stream_options={"include_usage": True}))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == f"[cloud] {REPLY_TEXT}"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18
    usage = services.ledger.usage("sdk.builtin.always-cloud.s1")
    assert usage.cloud_calls == 1 and usage.cloud.prompt == 11


def test_sdk_streaming_without_include_usage_sees_no_usage_chunk(services: Services) -> None:
    c = client(services, "sdk.builtin.always-local.s2", "always-local")
    chunks = list(c.chat.completions.create(model="any", messages=[{"role": "user", "content": "hi"}],
                                            stream=True))
    assert all(ch.usage is None for ch in chunks)
    assert all(ch.choices for ch in chunks)
    assert services.ledger.usage("sdk.builtin.always-local.s2").local.completion == 7


def test_sdk_tool_call_reply(services: Services) -> None:
    c = client(services, "sdk.builtin.always-cloud.s2", "always-cloud")
    tools = [{"type": "function", "function": {"name": "write_file", "description": "write a file",
                                               "parameters": {"type": "object", "properties": {}}}}]
    out = c.chat.completions.create(model="gpt!cloud", messages=[{"role": "user", "content": "mode:toolcall go"}],
                                    tools=tools)
    call = out.choices[0].message.tool_calls[0]
    assert call.function.name == "write_file"
    assert json.loads(call.function.arguments) == {"path": "a.py", "text": "x = 1"}
    assert out.choices[0].finish_reason == "tool_calls"
    stream = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "mode:toolcall go"}],
                                       tools=tools, stream=True)
    deltas = [tc for ch in stream if ch.choices for tc in (ch.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "write_file"


def test_sdk_sees_errors_as_sdk_exceptions(services: Services) -> None:
    c = client(services, "sdk.builtin.nope.s1", "no-such-strategy")
    with pytest.raises(openai.NotFoundError) as err:
        c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert "always-local" in str(err.value)
    c = client(services, "sdk.builtin.always-local.s3", "always-local")
    with pytest.raises(openai.BadRequestError):
        c.chat.completions.create(model="m", messages=[])
