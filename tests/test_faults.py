"""Fault injection end to end: a sweep on the scripted backend with all six fault kinds at 10% and 50%.

The scripted backend's faults are hash draws over (cell, call, tier, attempt), so this test recomputes,
for every call record of every row, which attempts were faulted and checks the record tells the truth:
every attempt before the last was a retryable fault (500, 429, a dropped connection, a stall past the
read timeout) that the proxy retried, and the last attempt was faulted exactly when the record carries
an error whose status says which fault it was. A row whose calls failed must be a classified error, and
no cell may outlive its timeout: the read timeout is 1 s here, so a stall costs a second, not three
minutes.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pytest_hybrid_eval.simulator.skill import FAULT_KINDS, RETRYABLE_FAULTS, fault_for
from tests.test_plugin import rows, run, write_config, write_task

MAX_RETRIES = 2
READ_S = 1.0
AGENT_TIMEOUT_S = 60
CLASSIFIED = {"none", "agent_error", "agent_timeout", "backend_error", "score_error", "infra_error"}
#: The status the proxy records when a fault hits the last attempt it makes. A 200 fault breaks the body
#: after the status was relayed; a dropped connection is a 502 and a read timeout a 504 from the proxy.
FINAL_STATUS = {"http_500": {500}, "http_429": {429}, "bad_json": {200}, "stream_cut": {200, 502},
                "conn_refused": {502}, "read_stall": {504}}
#: How the proxy words the connection-level faults once its retries are used up.
FINAL_ERROR = {"conn_refused": "unreachable (ServerDisconnectedError)", "read_stall": "timed out"}


SEEDS = range(1, 9)
TASKS = ("calc-basics", "calc-medium")


@pytest.fixture
def faulty(pytester: pytest.Pytester) -> pytest.Pytester:
    """A sweep with many calls per second of run time, so even 10% of attempts meets every fault kind.

    The local model is always wrong and the tasks have no decoy, so a local cell's answer leaves the
    visible test failing and the agent asks again up to its turn limit (multi-call cells); the cloud
    model is always right (one call). Retries back off for 10 ms, and a stall costs the 1 s read timeout.
    """
    for task_id, difficulty in zip(TASKS, ("easy", "medium"), strict=True):
        (write_task(pytester.path, task_id, difficulty=difficulty) / "decoy" / "calc.py").unlink()
    write_config(pytester.path, seeds=f"[{', '.join(map(str, SEEDS))}]",
                 routing=f"{{retry: {{max_retries: {MAX_RETRIES}, backoff_s: 0.01}}}}",
                 timeouts=f"{{read_s: {READ_S}, connect_s: 2}}", agent="{max_turns: 4}",
                 scripted="{local: {easy: 0, medium: 0, hard: 0}, cloud: {easy: 1, medium: 1, hard: 1}}")
    return pytester


def _check_rows(out: list[dict], rate: float) -> Counter[str]:
    """Recompute each record's attempts from the draws; count what was seen, by kind and by outcome."""
    seen: Counter[str] = Counter()
    for row in out:
        assert row["error"] in CLASSIFIED, row["error"]
        assert row["wall_ms"] < AGENT_TIMEOUT_S * 1000, f"{row['cell_id']} ran past its agent timeout"
        records = row["calls"]["records"]
        assert row["calls"]["local"] + row["calls"]["cloud"] == len(records) >= 1
        for rec in records:
            attempts = [fault_for(rate, row["cell_id"], rec["call_index"], rec["choice"], a)
                        for a in range(rec["retries"] + 1)]
            seen.update(f for f in attempts if f is not None)
            *earlier, last = attempts
            assert all(f in RETRYABLE_FAULTS for f in earlier), (row["cell_id"], rec, attempts)
            seen["retried"] += len(earlier)
            if last is None:
                assert rec["error"] is None and rec["status"] == 200, (row["cell_id"], rec)
                continue
            # a fault on the last attempt: non-retryable, or retryable with the retries used up
            assert last not in RETRYABLE_FAULTS or rec["retries"] == MAX_RETRIES, (row["cell_id"], rec, attempts)
            assert rec["error"], (row["cell_id"], rec, attempts)
            assert rec["status"] in FINAL_STATUS[last], (row["cell_id"], rec, attempts)
            assert FINAL_ERROR.get(last, "") in rec["error"], (row["cell_id"], rec, attempts)
            seen["failed_final"] += 1
            seen[f"final {last}"] += 1
        if any(rec["error"] for rec in records):
            assert row["error"] != "none" and not row["passed"], row
            assert row["reason"], row
    return seen


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_every_fault_is_a_retry_or_a_classified_error(faulty: pytest.Pytester, rate: float) -> None:
    out = _sweep(faulty, rate)
    seen = _check_rows(out, rate)
    # the draws are fixed by the cell ids: at either rate every kind occurs, some retried, some final
    assert set(FAULT_KINDS) <= set(seen), f"every kind occurs: {seen}"
    assert seen["retried"] >= 1 and seen["failed_final"] >= 1, seen
    # the proxy survived every fault: cells still made successful calls after the first faults
    assert sum(1 for r in out for rec in r["calls"]["records"] if rec["error"] is None) > len(out) // 2


def test_retries_used_up_on_every_attempt_end_as_classified_errors(faulty: pytest.Pytester) -> None:
    """Every attempt faulted: each cell's one call ends with the proxy's verdict on its last fault.

    The seeds are ones whose draws for calc-basics end, after all retries, in a dropped connection
    (local s3, s9) and in a stall (cloud s5, s9), so both reach the row as 502 "unreachable" and 504
    "timed out".
    """
    out = _sweep(faulty, 1.0, tasks=("calc-basics",), seeds=(3, 5, 9))
    seen = _check_rows(out, 1.0)
    assert all(r["error"] == "backend_error" and len(r["calls"]["records"]) == 1 for r in out)
    assert seen["final conn_refused"] >= 1 and seen["final read_stall"] >= 1, seen


def _sweep(p: pytest.Pytester, rate: float, tasks: tuple[str, ...] = TASKS,
           seeds: tuple[int, ...] = tuple(SEEDS)) -> list[dict]:
    """Run the sweep at ``rate``; exactly one row per selected cell and one pytest outcome per cell."""
    res = run(p, "--hybrid-set", f"scripted.fault_rate={rate}", "-p", "no:cacheprovider", "-n", "2",
              "--hybrid-seeds", ",".join(map(str, seeds)), "-k", " or ".join(tasks))
    out = rows(p.path)
    expected = sorted(f"{t}.builtin.{s}.s{n}" for t in tasks for s in ("always-local", "always-cloud") for n in seeds)
    assert sorted(r["cell_id"] for r in out) == expected, "exactly one row per cell"
    outcomes = res.parseoutcomes()
    assert sum(outcomes.get(k, 0) for k in ("passed", "failed", "error")) == len(expected)
    return out
