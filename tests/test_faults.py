"""Fault injection end to end: a sweep on the scripted backend with faults at 10% and 50% of attempts.

The scripted backend's faults are hash draws over (cell, call, tier, attempt), so this test recomputes,
for every call record of every row, which attempts were faulted and checks the record tells the truth:
every attempt before the last was a retryable fault (500/429) that the proxy retried, and the last attempt
was faulted exactly when the record carries an error. A row whose calls failed must be a classified error.
"""

from __future__ import annotations

import pytest

from pytest_hybrid_eval.backends.skill import fault_for
from tests.test_plugin import rows, run, write_config, write_task

RETRYABLE = {"http_500", "http_429"}
MAX_RETRIES = 2
AGENT_TIMEOUT_S = 60
CLASSIFIED = {"none", "agent_error", "agent_timeout", "backend_error", "score_error", "infra_error"}


@pytest.fixture
def faulty(pytester: pytest.Pytester) -> pytest.Pytester:
    write_task(pytester.path, "calc-basics")
    write_task(pytester.path, "calc-medium", difficulty="medium")
    write_config(pytester.path, seeds="[1, 2, 3, 4]",
                 routing=f"{{retry: {{max_retries: {MAX_RETRIES}, backoff_s: 0.01}}}}")
    return pytester


def _check_rows(out: list[dict], rate: float) -> dict[str, int]:
    seen = {"faults": 0, "retried": 0, "failed_final": 0}
    for row in out:
        assert row["error"] in CLASSIFIED, row["error"]
        assert row["wall_ms"] < AGENT_TIMEOUT_S * 1000, f"{row['cell_id']} ran past its agent timeout"
        records = row["calls"]["records"]
        assert row["calls"]["local"] + row["calls"]["cloud"] == len(records) >= 1
        for rec in records:
            attempts = [fault_for(rate, row["cell_id"], rec["call_index"], rec["choice"], a)
                        for a in range(rec["retries"] + 1)]
            seen["faults"] += sum(f is not None for f in attempts)
            *earlier, last = attempts
            assert all(f in RETRYABLE for f in earlier), (row["cell_id"], rec, attempts)
            seen["retried"] += len(earlier)
            if last is None:
                assert rec["error"] is None and rec["status"] == 200, (row["cell_id"], rec)
            else:
                # a fault on the last attempt: non-retryable, or retryable with the retries used up
                assert last not in RETRYABLE or rec["retries"] == MAX_RETRIES, (row["cell_id"], rec, attempts)
                assert rec["error"], (row["cell_id"], rec, attempts)
                seen["failed_final"] += 1
        if any(rec["error"] for rec in records):
            assert row["error"] != "none" and not row["passed"], row
            assert row["reason"], row
    return seen


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_every_fault_is_a_retry_or_a_classified_error(faulty: pytest.Pytester, rate: float) -> None:
    res = run(faulty, "--hybrid-set", f"scripted.fault_rate={rate}", "-p", "no:cacheprovider")
    out = rows(faulty.path)
    expected = sorted(f"{t}.builtin.{s}.s{n}" for t in ("calc-basics", "calc-medium")
                      for s in ("always-local", "always-cloud") for n in (1, 2, 3, 4))
    assert sorted(r["cell_id"] for r in out) == expected, "exactly one row per cell"
    outcomes = res.parseoutcomes()
    assert sum(outcomes.get(k, 0) for k in ("passed", "failed", "error")) == len(expected)
    seen = _check_rows(out, rate)
    # the draws are fixed by the cell ids: both rates inject faults, and both kinds of evidence occur
    assert seen["faults"] >= 2 and seen["retried"] >= 1 and seen["failed_final"] >= 1, seen
    # the proxy survived every fault: cells still made successful calls after the first faults
    assert sum(1 for r in out for rec in r["calls"]["records"] if rec["error"] is None) > len(out) // 2
