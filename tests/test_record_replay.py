"""Record a sweep's upstream exchanges, then replay them with no backend: same bytes, same rows.

Two levels: the proxy against test_proxy's fake upstream (byte-for-byte replies, streams chunk for chunk,
misses answered 409), and a pytester sweep on the scripted backend replayed with that backend never started.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import ConfigError
from pytest_hybrid_eval.routing.recorder import ExchangeStore, Position, normalized_request, request_key
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import Services, start_services
from tests.test_plugin import rows, run, write_config, write_task
from tests.test_proxy import API_KEY, API_KEY_ENV, FakeUpstream, chat_body, make_config, post, tag


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def _services(upstream: FakeUpstream, **routing: Any) -> Services:
    cfg = make_config(upstream.url)
    cfg = SweepConfig.model_validate({**cfg.model_dump(), "routing": {**cfg.routing.model_dump(), **routing}})
    return start_services(cfg)


def _stream(svc: Services, cell: str, strategy: str, body: dict[str, Any]) -> tuple[int, list[bytes]]:
    url = f"{cell_url(svc.proxy_url, cell, strategy)}/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=30, trust_env=False) as r:
        return r.status_code, list(r.iter_raw())


def test_proxy_replays_recorded_bytes_without_any_upstream(upstream: FakeUpstream, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    store = tmp_path / "store"
    t = tag()
    plain = chat_body(f"plain {t}")
    streamed = chat_body(f"stream {t}", stream=True, stream_options={"include_usage": True})
    broken = chat_body(f"b {t} mode:always500")
    with _services(upstream, record_dir=str(store)) as rec:
        first = post(rec, "c.a.always-cloud.s1", "always-cloud", plain)
        status, chunks = _stream(rec, "c.a.always-cloud.s1", "always-cloud", streamed)
        bad = post(rec, "c.a.always-local.s1", "always-local", broken)
        recorded = rec.ledger.all_records()
    assert first.status_code == status == 200 and bad.status_code == 500
    files = ExchangeStore(store).exchanges()
    assert len(files) == 3
    saved = json.loads(files[0].read_text())
    assert API_KEY not in "".join(p.read_text() for p in files), "the cloud key must never be recorded"
    assert {"key", "cell_id", "call_index", "tier", "request", "status", "headers", "chunks"} <= set(saved)

    before = len(upstream.requests)
    dead = "http://127.0.0.1:9"  # nothing listens there: replay must not need it
    cfg = make_config(dead, cloud_url=f"{dead}/cloud/v1")
    cfg = SweepConfig.model_validate({**cfg.model_dump(),
                                      "routing": {**cfg.routing.model_dump(), "replay_dir": str(store)}})
    with start_services(cfg) as rep:
        again = post(rep, "c.a.always-cloud.s1", "always-cloud", plain)
        status2, chunks2 = _stream(rep, "c.a.always-cloud.s1", "always-cloud", streamed)
        bad2 = post(rep, "c.a.always-local.s1", "always-local", broken)
        miss = post(rep, "c.a.always-local.s1", "always-local", chat_body(f"never asked {t}"))
        replayed = rep.ledger.all_records()
    assert len(upstream.requests) == before
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    assert status2 == 200 and b"".join(chunks2) == b"".join(chunks)
    assert bad2.status_code == 500 and bad2.content == bad.content
    assert replayed[2].retries == recorded[2].retries == 2, "retries are part of the recording"
    for a, b in zip(recorded, replayed[:3], strict=True):
        assert (a.choice, a.status, a.usage, a.error) == (b.choice, b.status, b.usage, b.error)
        assert b.backend_kind == "replay"
    assert miss.status_code == 409
    err = miss.json()["error"]
    assert err["type"] == "replay_miss" and err["cell_id"] == "c.a.always-local.s1" and err["call_index"] == 1
    assert str(store) in err["message"] and "call 1" in err["message"]
    assert replayed[3].error == "replay_miss" and replayed[3].status == 409


def test_replay_of_an_empty_dir_fails_at_start(tmp_path: Path) -> None:
    cfg = SweepConfig.model_validate({"backend": "live", "models": {"cloud": {"name": "c", "api_key_env": None}},
                                      "routing": {"replay_dir": str(tmp_path / "nothing")}})
    with pytest.raises(ConfigError, match="holds no recorded exchanges"):
        start_services(cfg)


def test_key_ignores_volatile_fields_and_text_but_not_content() -> None:
    def body(text: str, **extra: Any) -> bytes:
        return json.dumps({"model": "m", "messages": [{"role": "user", "content": text}], **extra}).encode()

    a = body("FAILED tests/test_a.py - 1 failed in 0.03s at /tmp/hev-abc123/workspace/a.py", user="u1")
    b = body("FAILED tests/test_a.py - 1 failed in 1.92s at /tmp/hev-zzz999/workspace/a.py", user="u2")
    assert request_key("POST", "chat/completions", a) == request_key("POST", "/chat/completions/", b)
    assert request_key("POST", "chat/completions", a) != request_key("POST", "embeddings", a)
    assert request_key("POST", "chat/completions", body("x = 1")) != request_key("POST", "chat/completions",
                                                                                  body("x = 2"))
    # key order does not matter; the normalized form is sorted-keys JSON
    left = json.dumps({"a": 1, "messages": []}).encode()
    right = json.dumps({"messages": [], "a": 1}).encode()
    assert normalized_request("POST", "p", left) == normalized_request("POST", "p", right)


def test_concurrent_writers_never_leave_a_torn_file(tmp_path: Path) -> None:
    store = ExchangeStore(tmp_path)
    pos = Position("../../etc", 3, "cloud")  # a hostile cell id stays inside the store
    payloads = [{"key": "k" * 64, "n": i, "blob": "x" * 200_000} for i in range(8)]
    threads = [threading.Thread(target=store.write, args=(pos, "k" * 64, p)) for p in payloads]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    files = store.exchanges()
    assert len(files) == 1 and files[0].resolve().is_relative_to(tmp_path.resolve())
    assert store.read(pos, "k" * 64)["n"] in range(8)
    assert not list(tmp_path.rglob(".tmp-*"))


# -- a whole sweep ---------------------------------------------------------------------------------------

COMPARED = ("passed", "error", "tests_passed", "tests_total", "tokens", "agent_turns")


def _calls(row: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["call_index"], r["choice"], r["status"], r["error"], r["retries"], json.dumps(r["usage"]))
            for r in row["calls"]["records"]]


def test_sweep_replayed_without_backend_gives_the_same_rows(pytester: pytest.Pytester) -> None:
    write_task(pytester.path, "calc-basics")
    hard = write_task(pytester.path, "calc-hard", difficulty="hard")
    (hard / "decoy" / "calc.py").unlink()  # wrong answers fail the visible test: pytest output is fed back
    write_config(pytester.path, seeds="[1, 2]")
    store = pytester.path / "exchanges"
    # a weak local model makes multi-turn cells (test failures fed back), and faults are recorded too
    skills = ["--hybrid-set", "scripted.local.easy=0", "--hybrid-set", "scripted.local.hard=0",
              "--hybrid-set", "scripted.fault_rate=0.2", "--hybrid-set", "routing.retry.backoff_s=0.01"]
    run(pytester, *skills, "--hybrid-set", f"routing.record_dir={store}")
    recorded = {r["cell_id"]: r for r in rows(pytester.path)}
    assert len(recorded) == 8 and any(len(r["calls"]["records"]) > 1 for r in recorded.values())

    # Replay with the opposite skills: if any answer came from a model, outcomes would change.
    out2 = pytester.path / "out2"
    res = run(pytester, "--hybrid-set", "scripted.local.easy=1", "--hybrid-set", "scripted.local.hard=1",
              "--hybrid-set", "scripted.cloud.easy=0", "--hybrid-set", "scripted.cloud.hard=0",
              "--hybrid-set", f"routing.replay_dir={store}", "--hybrid-set", f"out_dir={out2}",
              "--hybrid-seeds", "1,2,3")
    replayed = {}
    for line in (out2 / "raw.jsonl").read_text().splitlines():
        row = json.loads(line)
        replayed[row["cell_id"]] = row
    assert set(replayed) == set(recorded) | {c.replace(".s1", ".s3") for c in recorded if c.endswith(".s1")}
    for cell, want in recorded.items():
        got = replayed[cell]
        assert {k: got[k] for k in COMPARED} == {k: want[k] for k in COMPARED}, cell
        assert _calls(got) == _calls(want), cell
        assert {r["backend_kind"] for r in got["calls"]["records"]} == {"replay"}
    for cell in set(replayed) - set(recorded):  # never recorded: a loud miss, never an invented answer
        row = replayed[cell]
        assert not row["passed"] and row["error"] != "none"
        assert [r["error"] for r in row["calls"]["records"]] == ["replay_miss"]
        assert "replay miss" in (row["reason"] or "")
    assert res.ret != 0
