"""The cloud spending cap, against the fake upstream of test_proxy on real loopback sockets.

The fake upstream reports 11 prompt (3 cached) + 7 completion tokens per non-streamed call, which the
default table's gpt-5.5 prices at $0.0002515; streamed calls (no cache) cost $0.000265.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_hybrid_eval.config import BudgetConfig
from pytest_hybrid_eval.pricing import load_table
from pytest_hybrid_eval.routing.budget import BUDGET_EXHAUSTED, BudgetGuard
from pytest_hybrid_eval.routing.service import Services, start_services
from pytest_hybrid_eval.usage import AuxCall, CallRecord, TokenCounts
from tests.test_proxy import API_KEY, API_KEY_ENV, FakeUpstream, chat_body, make_config, post, tag

CALL_USD = 0.0002515
STREAM_USD = 0.000265


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@pytest.fixture
def capped(upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[float | None], Services]]:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    started: list[Services] = []

    def make(cap: float | None) -> Services:
        cfg = make_config(upstream.url)
        cfg.budget = BudgetConfig(max_cloud_usd=cap)
        svc = start_services(cfg)
        started.append(svc)
        return svc

    yield make
    for svc in started:
        svc.stop()


def test_cloud_calls_are_refused_with_402_once_the_cap_is_reached(capped: Callable[..., Services],
                                                                   upstream: FakeUpstream) -> None:
    svc = capped(2.5 * CALL_USD)
    cell = "t.a.always-cloud.s1"
    for _ in range(3):  # spend after 2 calls is below the cap, so the third is still sent
        assert post(svc, cell, "always-cloud", chat_body(f"c {tag()}")).status_code == 200
    before = len(upstream.requests)
    r = post(svc, cell, "always-cloud", chat_body(f"c {tag()}"))
    assert r.status_code == 402
    err = r.json()["error"]
    assert err["type"] == "budget_exhausted"
    assert err["message"].startswith("cloud budget of $0.0006 exhausted ($0.0008 spent)")
    assert err["message"].endswith("raise budget.max_cloud_usd")
    assert len(upstream.requests) == before, "a refused call must never reach the cloud"
    forced = post(svc, cell, "always-local", chat_body(f"f {tag()}", model="x!cloud"))
    assert forced.status_code == 402

    recs = svc.ledger.usage(cell).calls
    assert [r.error for r in recs] == [None, None, None, BUDGET_EXHAUSTED, BUDGET_EXHAUSTED]
    assert [r.status for r in recs][-2:] == [402, 402]
    assert all(r.usage.total == 0 for r in recs[-2:])

    local = post(svc, "t.a.always-local.s1", "always-local", chat_body(f"l {tag()}"))
    assert local.status_code == 200, "local calls keep working past the cap"

    status = budget_of(svc)
    assert status["exhausted"] is True and status["cap_usd"] == pytest.approx(2.5 * CALL_USD)
    assert status["spent_usd"] == pytest.approx(3 * CALL_USD, abs=1e-6)
    assert status["refused_calls"] == 2


def test_spend_is_counted_for_streams_and_without_a_cap(capped: Callable[..., Services]) -> None:
    svc = capped(None)
    body = chat_body(f"s {tag()}", stream=True)
    assert post(svc, "t.a.always-cloud.s1", "always-cloud", body).status_code == 200
    assert post(svc, "t.a.always-cloud.s1", "always-cloud", chat_body(f"n {tag()}")).status_code == 200
    assert post(svc, "t.a.always-local.s1", "always-local", chat_body(f"l {tag()}")).status_code == 200
    status = budget_of(svc)
    assert status == {**status, "cap_usd": None, "exhausted": False, "refused_calls": 0}
    assert status["spent_usd"] == pytest.approx(STREAM_USD + CALL_USD, abs=1e-6)


def test_a_zero_cap_refuses_the_first_cloud_call(capped: Callable[..., Services]) -> None:
    svc = capped(0.0)
    assert post(svc, "t.a.always-cloud.s1", "always-cloud", chat_body(f"z {tag()}")).status_code == 402
    assert budget_of(svc)["spent_usd"] == 0


def budget_of(svc: Services) -> dict[str, Any]:
    """What the proxy's ``/budget`` endpoint reports."""
    resp = httpx.get(f"{svc.proxy_url}/budget", trust_env=False, timeout=10)
    assert resp.status_code == 200
    return resp.json()


def _rec(choice: str, prompt: int, completion: int, aux: list[AuxCall] | None = None,
         status: int = 200) -> CallRecord:
    return CallRecord(cell_id="c", call_index=0, strategy="s", choice=choice,  # type: ignore[arg-type]
                      usage=TokenCounts(prompt=prompt, completion=completion), aux=aux or [], status=status)


def test_guard_prices_cloud_tier_only_including_cloud_aux_calls() -> None:
    guard = BudgetGuard(1.0, load_table(), "gpt-5.5")
    assert guard.charge(_rec("local", 1_000_000, 0)) == 0.0
    cloud_aux = AuxCall(kind="classifier", tier="cloud", model="m", usage=TokenCounts(prompt=1_000_000))
    local_aux = AuxCall(kind="classifier", tier="local", model="m", usage=TokenCounts(prompt=1_000_000))
    assert guard.charge(_rec("local", 0, 0, [cloud_aux, local_aux])) == pytest.approx(5.0)
    assert guard.charge(_rec("cloud", 0, 1_000_000)) == pytest.approx(30.0)
    assert guard.charge(_rec("cloud", 1_000_000, 0, status=402)) == 0.0
    assert guard.exhausted() and guard.spent_usd == pytest.approx(35.0)


def test_guard_total_is_exact_under_concurrent_charges() -> None:
    guard = BudgetGuard(None, load_table(), "gpt-5.5")
    rec = _rec("cloud", 200_000, 0)  # $1 each

    def work() -> None:
        for _ in range(500):
            guard.charge(rec)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert guard.spent_usd == pytest.approx(4000.0)
    assert not guard.exhausted()


def test_budget_section_is_validated() -> None:
    from pytest_hybrid_eval.config import build_config
    from pytest_hybrid_eval.errors import ConfigError

    assert build_config(None, ["budget.max_cloud_usd=12.5"]).budget.max_cloud_usd == 12.5
    with pytest.raises(ConfigError, match="budget.max_cloud_usd"):
        build_config(None, ["budget.max_cloud_usd=-1"])
    with pytest.raises(ConfigError, match="did you mean 'budget.max_cloud_usd'"):
        build_config(None, ["budget.max_cloud_us=1"])


def test_unknown_pricing_scenario_fails_at_startup() -> None:
    from pytest_hybrid_eval.errors import PricingError

    with pytest.raises(PricingError, match="unknown pricing scenario"):
        BudgetGuard(1.0, load_table(), "no-such-model")
