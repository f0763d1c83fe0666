"""The store: the sweep record's one writer and reader, evidence kept and read back, new results files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.store.evidence import keep_evidence, read_evidence
from pytest_hybrid_eval.store.layout import RESCORED, SweepDir, results_files
from pytest_hybrid_eval.store.record import SweepRecord, read_record, recorded_config_sha, write_record


def _record(**update: object) -> SweepRecord:
    cfg = SweepConfig(seeds=[1, 2])
    fields = dict(config_sha=cfg.sha256(), config=cfg, started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                  argv=["pytest", "--rootdir=/r"], tasks=["a", "b", "c"])
    return SweepRecord(**{**fields, **update})


def test_record_round_trip_and_expected_cells(tmp_path: Path) -> None:
    sweep = SweepDir(tmp_path)
    record = _record()
    write_record(sweep, record)
    on_disk = json.loads(sweep.sweep_json.read_text())
    assert on_disk["config"] == record.config.model_dump(mode="json")
    assert on_disk["started_at"] == "2026-01-02T03:04:05+00:00"
    back = read_record(sweep)
    assert back == record and back.expected_cells() == 3 * 1 * 2 * 2
    assert recorded_config_sha(sweep) == record.config_sha


@pytest.mark.parametrize(("text", "what"), [
    (None, "no sweep.json here"),
    ("{", "not a readable sweep.json (Invalid JSON"),
    ('{"config": {}}', "not a readable sweep.json (field 'config_sha': Field required (and 1 more))"),
    ('{"config_sha": "x", "started_at": "2026-01-01T00:00:00+00:00", "config": {"seeds": []}}',
     "not a readable sweep.json (field 'config.seeds': "),
])
def test_a_bad_record_is_one_line(tmp_path: Path, text: str | None, what: str) -> None:
    sweep = SweepDir(tmp_path)
    if text is not None:
        sweep.sweep_json.write_text(text)
    with pytest.raises(ResultsError) as info:
        read_record(sweep)
    assert what in str(info.value) and "\n" not in str(info.value)


def test_the_config_sha_guard_reads_a_record_whose_config_no_longer_validates(tmp_path: Path) -> None:
    sweep = SweepDir(tmp_path)
    sweep.sweep_json.write_text('{"config_sha": "abc", "config": {"no_such_field": 1}}')
    assert recorded_config_sha(sweep) == "abc"
    sweep.sweep_json.write_text("{")
    assert recorded_config_sha(sweep) is None


def test_evidence_keeps_existing_files_only_and_reads_them_back(tmp_path: Path) -> None:
    sweep = SweepDir(tmp_path)
    assert read_evidence(sweep, "t.builtin.always-local.s1", ["calc.py"]) is None
    keep_evidence(sweep, "t.builtin.always-local.s1", {"pkg/calc.py": "x = 1\n", "gone.py": None}, "status: ok\n")
    ev = sweep.evidence("t.builtin.always-local.s1")
    assert ev.file("pkg/calc.py").read_text() == "x = 1\n" and ev.agent_log.read_text() == "status: ok\n"
    assert not ev.file("gone.py").exists()
    got = read_evidence(sweep, "t.builtin.always-local.s1", ["pkg/calc.py", "gone.py"])
    assert got == {"pkg/calc.py": "x = 1\n", "gone.py": None}
    keep_evidence(sweep, "t.builtin.always-local.s1", {"pkg/calc.py": None}, "")  # a later run replaces it
    assert read_evidence(sweep, "t.builtin.always-local.s1", ["pkg/calc.py"]) == {"pkg/calc.py": None}


def test_new_results_files_never_overwrite(tmp_path: Path) -> None:
    sweep = SweepDir(tmp_path)
    first = sweep.new_results_file(RESCORED)
    first.write_text("")
    second = sweep.new_results_file(RESCORED)
    assert first.name.startswith("rescored-") and second != first and second.parent == tmp_path
    with pytest.raises(ResultsError, match="already exists"):
        sweep.new_results_file(RESCORED, first.name)
    with pytest.raises(ResultsError, match="refusing to write to raw.jsonl"):
        sweep.new_results_file(RESCORED, "raw.jsonl")


def test_results_files_of_a_sweep_a_file_and_a_folder_of_sweeps(tmp_path: Path) -> None:
    for name in ("b", "a"):
        SweepDir(tmp_path / name).create()
        SweepDir(tmp_path / name).raw.write_text("")
    assert results_files(tmp_path) == [tmp_path / "a" / "raw.jsonl", tmp_path / "b" / "raw.jsonl"]
    assert results_files(tmp_path / "a") == results_files(tmp_path / "a" / "raw.jsonl")
    with pytest.raises(ResultsError, match="no raw.jsonl here or in its sub-folders"):
        results_files(tmp_path / "a" / "empty")
    (tmp_path / "file").write_text("")
    with pytest.raises(ResultsError, match="is a file, not a folder"):
        SweepDir(tmp_path / "file").create()
