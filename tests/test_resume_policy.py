"""Resume retries infrastructure errors only: agent errors and timeouts are outcomes and are kept."""

from __future__ import annotations

import json

import pytest

from pytest_hybrid_eval.results import INFRA_ERRORS
from tests.test_plugin import rows, run, write_config, write_task

SELECT = ("-k", "calc-basics", "--hybrid-no-report")
INJECTED = ["agent_error", "agent_timeout", "budget_exhausted", "not_installed"]


@pytest.fixture
def errored(pytester: pytest.Pytester) -> pytest.Pytester:
    """Four cells of one task, each recorded with a different error class (two outcomes, two infra)."""
    write_task(pytester.path)
    write_config(pytester.path, seeds="[1, 2]")
    run(pytester, *SELECT)
    raw = pytester.path / "out" / "raw.jsonl"
    recorded = [json.loads(line) for line in raw.read_text().splitlines()]
    for row, error in zip(sorted(recorded, key=lambda r: r["cell_id"]), INJECTED, strict=True):
        row.update(error=error, passed=False, reason="injected for the test")
    raw.write_text("".join(json.dumps(r) + "\n" for r in recorded))
    return pytester


def _errors_by_cell(p: pytest.Pytester) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in rows(p.path):
        out.setdefault(r["cell_id"], []).append(r["error"])
    return out


def test_resume_retries_infra_errors_only_then_all_on_request(errored: pytest.Pytester) -> None:
    run(errored, *SELECT)
    history = _errors_by_cell(errored)
    retried = {c for c, errs in history.items() if len(errs) == 2}
    assert {history[c][0] for c in retried} == {"budget_exhausted", "not_installed"} <= INFRA_ERRORS
    assert all(errs[-1] == "none" for c, errs in history.items() if c in retried)
    assert sorted(errs[0] for c, errs in history.items() if c not in retried) == ["agent_error", "agent_timeout"]

    run(errored, *SELECT, "--hybrid-retry-errors=all")  # the old behaviour: every error row runs again
    assert all(errs[-1] == "none" for errs in _errors_by_cell(errored).values())
    assert len(rows(errored.path)) == 8


def test_keep_errors_keeps_every_error_row(errored: pytest.Pytester) -> None:
    res = run(errored, *SELECT, "--hybrid-keep-errors")
    assert len(rows(errored.path)) == 4
    assert "0 written this run, 4 recorded earlier" in res.stdout.str()
    res = run(errored, *SELECT, "--hybrid-retry-errors=none")
    assert len(rows(errored.path)) == 4


def test_keep_errors_with_retry_all_is_one_line(errored: pytest.Pytester) -> None:
    res = run(errored, *SELECT, "--hybrid-keep-errors", "--hybrid-retry-errors=all")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in res.errlines if line.strip()] == [
        "ERROR: --hybrid-keep-errors keeps every error row but --hybrid-retry-errors=all retries some; "
        "pass one of them"
    ]
    assert len(rows(errored.path)) == 4
