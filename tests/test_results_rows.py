"""Row schema and the single-writer file: durable appends, last-row-wins reading, resume index."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

from pytest_hybrid_eval.results import INFRA_ERRORS, ErrorClass, Provenance, Row
from pytest_hybrid_eval.store.rows import RowWriter, finished_cells, read_rows


def make_row(cell_id: str, error: str = "none", passed: bool = True) -> Row:
    task, agent, strategy, seed = cell_id.split(".")
    now = datetime.now(UTC)
    return Row(
        sweep="t", cell_id=cell_id, task_id=task, task_class="puzzles", family="puzzle", difficulty="easy",
        agent=agent, strategy=strategy, seed=int(seed[1:]), passed=passed, error=error,
        provenance=Provenance(config_sha="c" * 64, pricing_sha="p" * 64, backend="scripted", local_model="l",
                              cloud_model="c", local_backend="scripted", cloud_backend="scripted",
                              package_version="0"),
        started_at=now, finished_at=now,
    )


def test_append_and_read_back(tmp_path: Path) -> None:
    w = RowWriter(tmp_path / "raw.jsonl")
    w.append(make_row("a.builtin.always-cloud.s1"))
    w.append(make_row("a.builtin.always-cloud.s1", error="agent_error", passed=False))
    report = read_rows(tmp_path)
    assert report.duplicates == 1 and report.rows[0].error == "agent_error"  # the last row of a cell wins


def test_resume_retries_infrastructure_errors_only_by_default(tmp_path: Path) -> None:
    w = RowWriter(tmp_path / "raw.jsonl")
    w.append(make_row("a.builtin.always-cloud.s1"))
    outcome_errors = ("agent_error", "agent_timeout")
    for i, err in enumerate([*sorted(INFRA_ERRORS), *outcome_errors]):
        w.append(make_row(f"e{i}-{err}.builtin.always-cloud.s1", error=err, passed=False))
    kept = set(finished_cells(tmp_path))
    assert {c.split(".")[0].split("-", 1)[1] for c in kept if c.startswith("e")} == set(outcome_errors)
    assert "a.builtin.always-cloud.s1" in kept
    assert set(finished_cells(tmp_path, retry_errors="all")) == {"a.builtin.always-cloud.s1"}
    assert len(finished_cells(tmp_path, retry_errors="none")) == 1 + len(INFRA_ERRORS) + 2
    assert finished_cells(tmp_path / "nowhere") == {}


def test_infra_errors_are_error_classes_of_the_schema() -> None:
    classes = set(get_args(ErrorClass))
    assert classes > INFRA_ERRORS
    assert {"budget_exhausted", "not_installed", "infra_error", "backend_error", "score_error"} == INFRA_ERRORS
    assert not {"none", "agent_error", "agent_timeout"} & INFRA_ERRORS


def test_timestamps_are_aware_datetimes(tmp_path: Path) -> None:
    w = RowWriter(tmp_path / "raw.jsonl")
    w.append(make_row("a.builtin.always-cloud.s1"))
    row = read_rows(tmp_path).rows[0]
    assert row.started_at.tzinfo is not None and row.finished_at >= row.started_at
