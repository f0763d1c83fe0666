"""Regression tests for defects found in review: user errors that escaped as tracebacks, and the like."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest_hybrid_eval.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def one_line_error(res: subprocess.CompletedProcess, needle: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert needle in res.stderr, res.stderr


def test_config_that_is_a_directory_is_a_one_line_error(tmp_path: Path) -> None:
    one_line_error(cli("show-config", "--config", str(tmp_path)), "cannot read the config")


def test_config_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    one_line_error(cli("show-config", "--config", str(bad)), "not UTF-8")


def test_status_on_a_corrupt_sweep_json_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "sweep.json").write_text("{", encoding="utf-8")
    one_line_error(cli("status", str(tmp_path)), "not a readable sweep.json")
    (tmp_path / "sweep.json").write_text('{"config": {}}', encoding="utf-8")
    one_line_error(cli("status", str(tmp_path)), "not a readable sweep.json")


def test_router_eval_with_missing_or_bad_prompts_is_a_one_line_error(tmp_path: Path) -> None:
    one_line_error(cli("router-eval", "--prompts", str(tmp_path / "nope.jsonl")), "cannot read the labelled prompts")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("garbage\n", encoding="utf-8")
    one_line_error(cli("router-eval", "--prompts", str(bad)), f"{bad}:1: need a JSON object")
    one_line_error(cli("calibrate", "--target-cloud-share", "0.3", str(bad)), f"{bad}:1: need a JSON object")


def test_unavailable_sandbox_kind_stops_the_run_with_one_line(pytester, monkeypatch) -> None:
    """Before: every cell failed with a HybridEvalError traceback from sess.runtime and no row was written."""
    from tests.test_plugin import run, write_config, write_task

    write_task(pytester.path)
    write_config(pytester.path, sandbox="{kind: docker}")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{pytester.path / 'no-docker.sock'}")
    res = run(pytester)
    err = res.stderr.str()
    assert res.ret == pytest.ExitCode.USAGE_ERROR, res.stdout.str()
    assert "sandbox.kind=docker is unavailable" in err and "Traceback" not in err
    assert not (pytester.path / "out" / "sweep.json").exists()  # refused before any service started


def test_fallback_cloud_is_refused_not_silently_ignored() -> None:
    """models.fallback_cloud was accepted and documented as used, but nothing ever read it."""
    one_line_error(cli("show-config", "--set", "models.fallback_cloud=gpt-5-mini"), "fallback_cloud is not supported")


def test_a_task_root_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    from pytest_hybrid_eval.errors import TaskError
    from pytest_hybrid_eval.tasks.model import discover_tasks

    f = tmp_path / "task.yaml"
    f.write_text("id: x\n")
    with pytest.raises(TaskError, match="is a file, not a directory"):
        discover_tasks([f])
