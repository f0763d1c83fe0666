"""The plugin as a user meets it: collection, a sweep end to end, xdist, --lf, bad input, the key.

Each test runs pytest in a subprocess (pytester) on a tiny suite written here, because the plugin starts
threads and servers that must not leak into this process.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

CALC_PROMPT = "Implement add(a, b) and mul(a, b) in calc.py."


def write_task(root: Path, task_id: str = "calc-basics", difficulty: str = "easy", **fields: str) -> Path:
    d = root / "suite" / "puzzles" / task_id
    for sub in ("public", "tests", "hidden", "reference", "decoy"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    yaml = {
        "id": task_id, "class": "puzzles", "family": "puzzle", "difficulty": difficulty,
        "prompt": CALC_PROMPT, "editable": "[calc.py]", "agent_timeout_s": "60", "test_timeout_s": "30",
    }
    yaml.update(fields)
    (d / "task.yaml").write_text("".join(f"{k}: {v}\n" for k, v in yaml.items() if v is not None))
    (d / "public" / "calc.py").write_text("def add(a, b):\n    return 0\n\n\ndef mul(a, b):\n    return 0\n")
    (d / "reference" / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")
    (d / "decoy" / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n")
    (d / "tests" / "test_calc.py").write_text("import calc\n\n\ndef test_add():\n    assert calc.add(2, 3) == 5\n")
    # the verdict comes from hidden/cases.py (the visible test repeated, then the hidden ones), compared
    # outside the candidate's process like every task of the suite
    (d / "hidden" / "cases.py").write_text(textwrap.dedent("""\
        import calc
        from hybrid_cases import case


        @case(expect=5)
        def visible_add():
            return calc.add(2, 3)


        @case(expect=1)
        def add_negative():
            return calc.add(-2, 3)


        @case(expect=12)
        def mul():
            return calc.mul(3, 4)


        @case(expect=0)
        def mul_zero():
            return calc.mul(0, 9)
        """))
    return d


def write_config(root: Path, **extra: str) -> Path:
    lines = {
        "name": "t", "agents": "[builtin]", "strategies": "[always-local, always-cloud]", "seeds": "[1, 2]",
        "out_dir": str(root / "out"), "tasks": "{roots: [suite]}",
    }
    lines.update(extra)
    path = root / "sweep.yaml"
    path.write_text("".join(f"{k}: {v}\n" for k, v in lines.items()))
    return path


def rows(root: Path) -> list[dict]:
    raw = root / "out" / "raw.jsonl"
    return [json.loads(line) for line in raw.read_text().splitlines()] if raw.exists() else []


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    write_task(pytester.path)
    write_task(pytester.path, "calc-hard", difficulty="hard")
    write_config(pytester.path)
    return pytester


def run(p: pytest.Pytester, *args: str) -> pytest.RunResult:
    return p.runpytest_subprocess("suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly", *args)


def test_collects_one_item_per_agent_strategy_seed_with_readable_ids(suite: pytest.Pytester) -> None:
    res = run(suite, "--collect-only", "-q")
    ids = [line for line in res.outlines if "::" in line]
    assert len(ids) == 2 * 2 * 2
    assert "suite/puzzles/calc-basics/task.yaml::builtin-always-cloud-s2" in ids
    # the task's own visible/hidden tests are never collected as ordinary tests
    assert not any("test_calc" in line for line in res.outlines)
    res = run(suite, "--collect-only", "-q", "-k", "hard and always_cloud")
    assert len([line for line in res.outlines if "::" in line]) == 2
    res = run(suite, "--collect-only", "-q", "-m", "always_local")
    assert len([line for line in res.outlines if "::" in line]) == 4


def test_sweep_writes_one_row_per_cell_and_summary_matches(suite: pytest.Pytester) -> None:
    res = run(suite, "--hybrid-set", "scripted.local.easy=0", "--hybrid-set", "scripted.local.hard=0",
              "--hybrid-set", "scripted.cloud.easy=1", "--hybrid-set", "scripted.cloud.hard=1")
    out = rows(suite.path)
    assert sorted(r["cell_id"] for r in out) == sorted(
        f"{t}.builtin.{s}.s{n}" for t in ("calc-basics", "calc-hard") for s in ("always-local", "always-cloud") for n in (1, 2)
    )
    res.assert_outcomes(passed=4, failed=4)
    for r in out:
        assert r["provenance"]["backend"] == "scripted"
        assert r["provenance"]["config_sha"] and r["provenance"]["pricing_sha"]
        if r["strategy"] == "always-cloud":
            assert r["passed"] and r["tests_passed"] == r["tests_total"] == 4
            assert r["calls"]["cloud"] >= 1 and r["calls"]["local"] == 0 and r["tokens"]["cloud"]["prompt"] > 0
        else:
            assert not r["passed"] and r["error"] == "none"
            assert r["tests_total"] == 4 and r["tests_passed"] < 4
            assert r["calls"]["local"] >= 1 and r["calls"]["cloud"] == 0
    text = res.stdout.str()
    assert "hybrid-eval: t (scripted backend" in text
    assert "always-cloud" in text and "100%" in text
    sweep = json.loads((suite.path / "out" / "sweep.json").read_text())
    assert len(sweep["config_sha"]) == 64 and sweep["manifest"]["cores"]


def test_xdist_gives_same_cells_and_lf_reruns_only_failures(suite: pytest.Pytester) -> None:
    skills = ["--hybrid-set", "scripted.local.easy=0", "--hybrid-set", "scripted.local.hard=0",
              "--hybrid-set", "scripted.cloud.easy=1", "--hybrid-set", "scripted.cloud.hard=1"]
    res = run(suite, "-n", "2", *skills)
    res.assert_outcomes(passed=4, failed=4)
    first = rows(suite.path)
    assert len(first) == 8 and len({r["cell_id"] for r in first}) == 8
    assert "written this run" in res.stdout.str()
    res = run(suite, "--lf", *skills)
    res.assert_outcomes(failed=4)
    again = rows(suite.path)[8:]
    assert sorted(r["cell_id"] for r in again) == sorted(r["cell_id"] for r in first if not r["passed"])


def test_tx_popen_workers_give_the_same_cells(suite: pytest.Pytester) -> None:
    res = run(suite, "-d", "--tx", "popen", "--tx", "popen", "--hybrid-seeds", "1", "--hybrid-no-report")
    assert res.ret in (0, 1)
    assert sorted(r["cell_id"] for r in rows(suite.path)) == sorted(
        f"{t}.builtin.{s}.s1" for t in ("calc-basics", "calc-hard") for s in ("always-local", "always-cloud"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hybrid-set", "modls.local.name=x"], "unknown key 'modls'; did you mean 'models'?"),
        (["--hybrid-strategies", "always-cloud,teleport"], "unknown strategy 'teleport'; valid strategies:"),
        (["--hybrid-agents", "nope"], "unknown agent 'nope'; valid agents:"),
        (["--hybrid-seeds", "4x"], "expected comma-separated integers"),
    ],
)
def test_bad_input_is_one_clear_line_and_no_rows(suite: pytest.Pytester, args: list[str], message: str) -> None:
    res = run(suite, *args)
    assert res.ret != 0
    err = res.stderr.str()
    assert message in err and "Traceback" not in err
    assert rows(suite.path) == []


def test_unknown_key_in_config_file(suite: pytest.Pytester) -> None:
    write_config(suite.path, strategys="[always-local]")
    res = run(suite)
    assert res.ret != 0 and "unknown key 'strategys'; did you mean 'strategies'?" in res.stderr.str()
    assert rows(suite.path) == []


def test_task_yaml_missing_field(suite: pytest.Pytester) -> None:
    write_task(suite.path, "broken", difficulty=None)  # type: ignore[arg-type]
    res = run(suite)
    assert res.ret != 0
    assert "broken/task.yaml: field 'difficulty': Field required" in res.stderr.str()
    assert rows(suite.path) == []


def test_cloud_key_never_leaves_the_proxy(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    sentinel = "sk-SENTINEL-8c1f0e2d9b7a"
    monkeypatch.setenv("OPENAI_API_KEY", sentinel)
    res = run(suite, "--hybrid-seeds", "1")
    assert sentinel not in res.stdout.str() + res.stderr.str()
    written = [p for p in (suite.path / "out").rglob("*") if p.is_file()]
    assert written
    for p in written:
        assert sentinel.encode() not in p.read_bytes(), p
    assert "OPENAI_API_KEY" in json.loads((suite.path / "out" / "sweep.json").read_text())["manifest"]["api_key_vars_set"]


def test_sandboxed_code_sees_no_secret(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A task whose hidden test fails if any environment value carries the key: it must pass."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SENTINEL-env-probe")
    d = write_task(suite.path, "env-probe")
    (d / "hidden" / "test_hidden_env.py").write_text(
        "import os\n\n\ndef test_no_secret_in_env():\n"
        "    assert not any('SENTINEL' in v for v in os.environ.values())\n"
    )
    res = run(suite, "--hybrid-seeds", "1", "-k", "env-probe and always_cloud", "--hybrid-set", "scripted.cloud.easy=1")
    res.assert_outcomes(passed=1)


def test_row_written_hook_reaches_conftest(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        "def pytest_hybrid_row_written(row, path):\n"
        "    with open('hook.log', 'a') as fh:\n"
        "        fh.write(row.cell_id + '\\n')\n"
    )
    run(suite, "--hybrid-seeds", "1", "-k", "calc-basics")
    assert sorted((suite.path / "hook.log").read_text().split()) == [
        "calc-basics.builtin.always-cloud.s1", "calc-basics.builtin.always-local.s1"]


def test_out_dir_with_other_config_is_refused(suite: pytest.Pytester) -> None:
    run(suite, "--hybrid-seeds", "1", "-k", "calc-basics and always_cloud")
    res = run(suite, "--hybrid-seeds", "2", "-k", "calc-basics and always_cloud")
    assert res.ret != 0 and "pass --hybrid-out DIR" in res.stderr.str()


def test_plain_test_runs_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    assert True\n")
    res = pytester.runpytest_subprocess()
    res.assert_outcomes(passed=1)
    assert "hybrid-eval:" not in res.stdout.str() and "raw.jsonl" not in res.stdout.str()


def test_plugin_hook_contributes_a_task_root(suite: pytest.Pytester) -> None:
    """Tasks from elsewhere: a conftest (or plugin) returns an extra root; its tasks become cells."""
    elsewhere = suite.path / "elsewhere"
    write_task(elsewhere, "from-plugin")
    suite.makeconftest(
        "from pathlib import Path\n\n\n"
        "def pytest_hybrid_task_roots(sweep, rootdir):\n"
        f"    return [Path({str(elsewhere / 'suite')!r})]\n"
    )
    res = suite.runpytest_subprocess("suite", "elsewhere", "--hybrid-config", "sweep.yaml", "--collect-only", "-q")
    ids = [line for line in res.outlines if "::" in line]
    assert any("from-plugin/task.yaml::builtin-always-cloud-s1" in i for i in ids)
    assert len(ids) == 3 * 2 * 2


def test_options_can_live_in_the_ini_file(suite: pytest.Pytester) -> None:
    suite.makeini("[pytest]\nhybrid_config = sweep.yaml\nhybrid_strategies = always-cloud\nhybrid_seeds = 2\n")
    res = suite.runpytest_subprocess("suite", "--collect-only", "-q")
    ids = sorted(line for line in res.outlines if "::" in line)
    assert ids == ["suite/puzzles/calc-basics/task.yaml::builtin-always-cloud-s2",
                   "suite/puzzles/calc-hard/task.yaml::builtin-always-cloud-s2"]
    # a flag beats the ini value
    res = suite.runpytest_subprocess("suite", "--collect-only", "-q", "--hybrid-seeds", "5")
    assert all(line.endswith("-s5") for line in res.outlines if "::" in line)


def test_parallel_rows_equal_serial_rows(suite: pytest.Pytester) -> None:
    """-n 2 gives the same rows as -n 0: same cells, outcomes, test counts, tokens and routing."""
    run(suite, "--hybrid-out", "serial", "--hybrid-no-report", "-p", "no:xdist")
    run(suite, "--hybrid-out", "parallel", "--hybrid-no-report", "-n", "2")

    def key(path: str) -> dict:
        out = {}
        for line in (suite.path / path / "raw.jsonl").read_text().splitlines():
            r = json.loads(line)
            out[r["cell_id"]] = (r["passed"], r["tests_passed"], r["tests_total"], r["error"], r["tokens"],
                                 [(c["choice"], c["usage"]) for c in r["calls"]["records"]])
        return out

    serial, parallel = key("serial"), key("parallel")
    assert len(serial) == 8 and serial == parallel
