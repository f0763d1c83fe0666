"""The `hybrid-eval` console script: inspect commands, one-line errors, and the standalone proxy."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest_hybrid_eval.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_show_config_prints_sha_and_applies_overrides() -> None:
    res = cli("show-config", "--set", "models.local.name=qwen3.6", "--set", "seeds=[1,2]")
    assert res.returncode == 0, res.stderr
    body, sha_line = res.stdout.rsplit("\n", 2)[0], res.stdout.strip().splitlines()[-1]
    cfg = json.loads(body[: body.rindex("}") + 1])
    assert cfg["models"]["local"]["name"] == "qwen3.6" and cfg["seeds"] == [1, 2]
    assert sha_line.startswith("sha256: ") and len(sha_line.split()[1]) == 64


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["show-config", "--set", "modls.x=1"], "unknown key 'modls'; did you mean 'models'?"),
        (["show-config", "--config", "/nope.yaml"], "config file /nope.yaml not found"),
        (["status", "/nonexistent"], "no sweep.json here"),
        (["power", "--baseline", "0.9", "--delta", "0.2"], "power:"),
        (["setup", "agents", "emacs"], "unknown agent 'emacs'"),
    ],
)
def test_user_errors_are_one_line_exit_2(args: list[str], needle: str) -> None:
    res = cli(*args)
    assert res.returncode == 2
    assert needle in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_schema_and_env() -> None:
    schema = json.loads(cli("schema").stdout)
    assert "strategies" in schema["properties"] and schema.get("additionalProperties") is False
    env = json.loads(cli("env").stdout)
    assert env["cores"] >= 1 and "process" in env["sandbox_kinds"] and "agents" in env


def test_power_matches_the_normal_approximation() -> None:
    res = cli("power", "--baseline", "0.8", "--delta", "0.1")
    assert res.returncode == 0 and "197 paired" in res.stdout


def test_tasks_list_covers_every_class() -> None:
    res = cli("tasks", "list")
    assert res.returncode == 0, res.stderr
    for cls in ("puzzles", "refactors", "real_prs"):
        assert cls in res.stdout
    assert int(res.stdout.strip().splitlines()[-1].split()[0]) >= 35


def test_serve_standalone_answers_and_stops_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "pytest_hybrid_eval.cli", "serve", "--port", "0", "--strategy",
                             "heuristic", "--decision-log", str(log)], stdout=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "/heuristic/v1" in line:
                url = line.split()[0]
        assert url, "serve printed no URL"
        r = httpx.post(f"{url}/chat/completions", json={"model": "any", "messages": [{"role": "user", "content": "hi"}]},
                       timeout=30, trust_env=False)
        assert r.status_code == 200 and r.headers["X-Hybrid-Route"] in ("local", "cloud")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "proxy stopped" in out
    assert json.loads(log.read_text().splitlines()[0])["strategy"] == "heuristic"
