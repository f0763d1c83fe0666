"""One policy for bad rows: analyze, status and a resume refuse a bad raw.jsonl line with the same line.

The message comes from one reader (``store.rows.read_rows``): file, line number, what is wrong, the fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_hybrid_eval.analysis import load
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.store.rows import RowWriter, read_rows
from tests.test_plugin import run
from tests.test_results_rows import make_row

GOOD = make_row("a.builtin.always-cloud.s1")


def _with_line(tmp: Path, bad: bytes) -> Path:
    """A sweep folder whose raw.jsonl has ``bad`` as line 2 of 3 (so it is not a torn tail)."""
    d = tmp / "sweep"
    d.mkdir()
    good = GOOD.model_dump_json().encode()
    (d / "raw.jsonl").write_bytes(good + b"\n" + bad + b"\n" + good + b"\n")
    return d


def _row_with(**changes: object) -> bytes:
    obj = json.loads(GOOD.model_dump_json())
    obj.update(changes)
    return json.dumps(obj).encode()


BAD_LINES = {
    "garbage": (b"this is not a row", "not JSON (Expecting value at column 1)"),
    "not-utf8": (b'{"sweep": "\xff\xfe"}', "not UTF-8 text"),
    "array": (b"[1, 2]", "a JSON list, not a row object"),
    "extra-field": (_row_with(bogus=1), "field 'bogus': Extra inputs are not permitted"),
    "error-class": (_row_with(error="exploded"), "field 'error': Input should be"),
    "missing-field": (_row_with(cell_id=None), "field 'cell_id': Input should be a valid string"),
    "schema-version": (_row_with(schema_version=2), "schema_version 2, this version reads 1"),
}


@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_reader_names_file_line_problem_and_fix(tmp_path: Path, kind: str) -> None:
    bad, what = BAD_LINES[kind]
    d = _with_line(tmp_path, bad)
    with pytest.raises(ResultsError) as exc:
        read_rows(d)
    msg = str(exc.value)
    assert msg.startswith(f"{d / 'raw.jsonl'}:2: {what}") and "\n" not in msg
    assert msg.endswith("fix or remove that line") or msg.endswith("move that line to another file")
    with pytest.raises(ResultsError) as again:  # analyze's loader says exactly the same
        load(d)
    assert str(again.value) == msg


def test_analyze_refuses_a_row_the_schema_forbids_even_as_the_only_row(tmp_path: Path) -> None:
    d = tmp_path / "s"
    d.mkdir()
    prov = {**GOOD.provenance.model_dump(), "backend": "mystery"}  # the old hand-reader took any string
    (d / "raw.jsonl").write_bytes(_row_with(provenance=prov) + b"\n")
    with pytest.raises(ResultsError, match=r"raw\.jsonl:1: field 'provenance\.backend': Input should be"):
        load(d)


def test_a_whole_row_missing_only_its_newline_is_kept_and_ended(tmp_path: Path) -> None:
    raw = tmp_path / "raw.jsonl"
    raw.write_text(GOOD.model_dump_json())  # no newline: possibly torn, but it parses
    assert len(read_rows(raw).rows) == 1
    RowWriter(raw).append(make_row("b.builtin.always-cloud.s1"))
    assert [r.cell_id for r in read_rows(raw).rows] == ["a.builtin.always-cloud.s1", "b.builtin.always-cloud.s1"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_hybrid_eval.cli", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def one_cell(pytester: pytest.Pytester) -> pytest.Pytester:
    from tests.test_plugin import write_config, write_task

    write_task(pytester.path)
    write_config(pytester.path)
    run(pytester, "-k", "always_cloud and s1", "--hybrid-no-report")
    return pytester


@pytest.mark.parametrize("kind", ["garbage", "extra-field"])
def test_analyze_status_and_resume_print_the_same_line(one_cell: pytest.Pytester, kind: str) -> None:
    bad, what = BAD_LINES[kind]
    raw = one_cell.path / "out" / "raw.jsonl"
    good = raw.read_bytes()
    raw.write_bytes(good + bad + b"\n" + good)
    expected = f"{raw}:2: {what}; fix or remove that line"

    analyze = _cli("analyze", str(raw.parent))
    status = _cli("status", str(raw.parent))
    resume = run(one_cell, "--hybrid-no-report")
    assert analyze.returncode == status.returncode == 2
    assert analyze.stderr.strip() == status.stderr.strip() == f"hybrid-eval: error: {expected}"
    assert resume.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in resume.errlines if line.strip()] == [f"ERROR: {expected}"]
    assert "INTERNALERROR" not in resume.stdout.str()
    assert raw.read_bytes() == good + bad + b"\n" + good  # no row written, nothing repaired
