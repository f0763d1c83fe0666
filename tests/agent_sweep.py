"""Shared machinery of the end-to-end agent tests (aider, mini-swe-agent, cline, opencode).

Each of those tests installs its pinned agent CLI once per session (cached in the agents dir), writes a
small puzzle next to a copy of the d6-toposort refactor, and runs a real sweep of that suite in a pytest
subprocess (pytester) on the scripted backend, with every scripted skill level set to 1 (a perfect model)
or 0 (a useless one). The subprocess keeps the proxy, the backend threads and the agent processes out of
the test process. What is common to the four agents lives here; each test file keeps what is its own.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from filelock import FileLock

from pytest_hybrid_eval.agents.base import Agent
from pytest_hybrid_eval.agents.install import PINNED, agents_dir, install, installed_version

REPO = Path(__file__).resolve().parents[1]
D6 = REPO / "bench_suites" / "refactors" / "d6-toposort"
LEVELS = ("easy", "medium", "hard")


def write_rle_puzzle(root: Path) -> None:
    """The rle-codec puzzle (easy): encode/decode runs of equal characters."""
    d = root / "suite" / "puzzles" / "rle-codec"
    for sub in ("public", "tests", "hidden", "reference", "decoy"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "task.yaml").write_text(textwrap.dedent("""\
        id: rle-codec
        class: puzzles
        family: puzzle
        difficulty: easy
        prompt: |
          In rle.py, implement encode(text) and decode(pairs). encode turns a string into a list of
          [char, count] pairs for each run of equal characters; decode is its inverse.
        editable: [rle.py]
        agent_timeout_s: 120
        test_timeout_s: 30
        """))
    (d / "public" / "rle.py").write_text(
        "def encode(text):\n    raise NotImplementedError\n\n\ndef decode(pairs):\n    raise NotImplementedError\n")
    (d / "reference" / "rle.py").write_text(textwrap.dedent("""\
        def encode(text):
            pairs = []
            for ch in text:
                if pairs and pairs[-1][0] == ch:
                    pairs[-1][1] += 1
                else:
                    pairs.append([ch, 1])
            return pairs


        def decode(pairs):
            return "".join(ch * n for ch, n in pairs)
        """))
    (d / "decoy" / "rle.py").write_text(textwrap.dedent("""\
        def encode(text):
            return [[ch, 1] for ch in text]


        def decode(pairs):
            return "".join(ch for ch, _ in pairs)
        """))
    (d / "tests" / "test_rle.py").write_text("import rle\n\n\ndef test_encode():\n    assert rle.encode('aab') == [['a', 2], ['b', 1]]\n")
    (d / "hidden" / "test_hidden_rle.py").write_text(textwrap.dedent("""\
        import rle


        def test_roundtrip():
            assert rle.decode(rle.encode("xxxyzz")) == "xxxyzz"


        def test_decode():
            assert rle.decode([["q", 3]]) == "qqq"
        """))


def write_vowels_puzzle(root: Path) -> None:
    """The vowels puzzle (easy): count a, e, i, o, u in any case."""
    d = root / "suite" / "puzzles" / "vowels"
    for sub in ("public", "tests", "hidden", "reference", "decoy"):
        (d / sub).mkdir(parents=True)
    (d / "task.yaml").write_text(
        "id: vowels\nclass: puzzles\nfamily: puzzle\ndifficulty: easy\n"
        "prompt: Implement count_vowels(text) in vowels.py; it counts a, e, i, o, u in any case.\n"
        "editable: [vowels.py]\nagent_timeout_s: 90\ntest_timeout_s: 30\n")
    (d / "public" / "vowels.py").write_text("def count_vowels(text):\n    return 0\n")
    (d / "reference" / "vowels.py").write_text(
        "def count_vowels(text):\n    return sum(1 for ch in text.lower() if ch in 'aeiou')\n")
    (d / "decoy" / "vowels.py").write_text("def count_vowels(text):\n    return sum(1 for ch in text if ch in 'aeiou')\n")
    (d / "tests" / "test_vowels.py").write_text("from vowels import count_vowels\n\n\ndef test_lower():\n"
                                                "    assert count_vowels('banana') == 3\n")
    (d / "hidden" / "test_hidden_vowels.py").write_text(
        "from vowels import count_vowels\n\n\ndef test_upper():\n    assert count_vowels('AEIOU xyz') == 5\n\n\n"
        "def test_empty():\n    assert count_vowels('') == 0\n")


def live_processes(marker: Path) -> list[str]:
    """Command lines of live processes that mention ``marker`` (an agent's install dir: a leak shows here)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(marker) in cmd:
            found.append(f"{pid}: {cmd[:200]}")
    return found


PUZZLES: dict[str, Callable[[Path], None]] = {"rle-codec": write_rle_puzzle, "vowels": write_vowels_puzzle}


@dataclass(frozen=True)
class AgentSweep:
    """One agent's end-to-end sweep: the agent, its adapter module, the sweep name and the puzzle."""

    agent: str  # the name in PINNED and in --hybrid-agents
    adapter: str  # the module whose import registers the adapter
    name: str  # the sweep's name in sweep.yaml
    puzzle: str  # the task id of the puzzle next to d6-toposort (a key of PUZZLES)
    # True: the suite's conftest imports the adapter in the plugin's own pytest_hybrid_register hook;
    # False: it imports it at module level (the adapter registers itself on import)
    register_in_hook: bool = False
    #: install dir -> processes alive right after this agent's last sweep (filled by ``run``)
    _leftover: dict[Path, list[str]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tasks(self) -> list[str]:
        """The task ids of the suite, sorted."""
        return sorted(["d6-toposort", self.puzzle])

    def install(self) -> Path:
        """Install (or find) the pinned build; returns the agents dir, resolved before pytester moves HOME."""
        install(self.agent)
        assert installed_version(self.agent) == PINNED[self.agent][2]
        return agents_dir().resolve()

    def assert_not_installed(self, make_agent: Callable[[], Agent], empty: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
        """With an empty agents dir the adapter reports not_installed and names the install command."""
        monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(empty))
        agent = make_agent()
        assert agent.version() is None
        result = agent.run(None)  # type: ignore[arg-type]  # must not touch the context when not installed
        assert result.status == "not_installed"
        assert f"hybrid-eval setup agents {self.agent}" in (result.reason or "")

    def leftover_processes(self, installed: Path) -> list[str]:
        """Processes from this agent's install still alive when the last sweep ended (a leaked daemon).

        The snapshot is taken inside ``run`` while it holds the agent's lock: under ``-n 2`` another
        worker may be running a sweep of the same agent right now, and its live processes are not leaks.
        """
        return self._leftover.get(installed / self.agent, live_processes(installed / self.agent))

    def prepare(self, p: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, installed: Path) -> pytest.Pytester:
        """Write the suite (puzzle + a copy of d6-toposort), sweep.yaml and the adapter-registering conftest."""
        # pytester gives the subprocess its own HOME, so the (cached) install dir is passed explicitly
        monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(installed))
        PUZZLES[self.puzzle](p.path)
        shutil.copytree(D6, p.path / "suite" / "refactors" / "d6-toposort")
        (p.path / "sweep.yaml").write_text(
            f"name: {self.name}\nagents: [{self.agent}]\nstrategies: [always-cloud]\nseeds: [1]\n"
            f"out_dir: {p.path / 'out'}\ntasks: {{roots: [suite]}}\n")
        body = f"import {self.adapter}  # noqa: F401\n"
        if self.register_in_hook:
            body = f"def pytest_hybrid_register(agents, strategies):\n    {body}"
        (p.path / "conftest.py").write_text(body)
        return p

    def run(self, p: pytest.Pytester, skill: str) -> tuple[pytest.RunResult, list[dict], float]:
        """Run the sweep with every scripted skill level set to ``skill``: the result, the rows, the seconds."""
        lock = FileLock(str(Path(tempfile.gettempdir()) / f"hybrid-eval-test-{self.agent}.lock"))
        with lock:  # one sweep of an agent at a time across xdist workers (see leftover_processes)
            return self._run_locked(p, skill)

    def _run_locked(self, p: pytest.Pytester, skill: str) -> tuple[pytest.RunResult, list[dict], float]:
        start = time.monotonic()
        res = p.runpytest_subprocess(
            "suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly", "--hybrid-agents", self.agent,
            "--hybrid-strategies", "always-cloud", "--hybrid-seeds", "1",
            *(arg for tier in ("local", "cloud") for level in LEVELS
              for arg in ("--hybrid-set", f"scripted.{tier}.{level}={skill}")),
            timeout=600,
        )
        elapsed = time.monotonic() - start
        installed = Path(os.environ.get("HYBRID_EVAL_AGENTS_DIR", str(agents_dir())))
        self._leftover[installed / self.agent] = live_processes(installed / self.agent)
        raw = p.path / "out" / "raw.jsonl"
        rows = [json.loads(line) for line in raw.read_text().splitlines()] if raw.exists() else []
        return res, rows, elapsed

    def check_ledger(self, row: dict) -> None:
        """Every call record is this cell's and succeeded upstream; the row's calls and tokens per tier are
        exactly those of its records; the row names the pinned agent version."""
        records = row["calls"]["records"]
        assert records, row
        assert all(r["cell_id"] == row["cell_id"] and r["status"] == 200 and r["error"] is None for r in records)
        assert all(r["usage_source"] == "upstream" for r in records)
        for tier in ("local", "cloud"):
            mine = [r for r in records if r["choice"] == tier]
            assert row["calls"][tier] == len(mine)
            for key in ("prompt", "completion"):
                assert row["tokens"][tier][key] == sum(r["usage"][key] for r in mine), (tier, key)
        assert row["provenance"]["agent_version"] == PINNED[self.agent][2]

    def assert_cells_pass(self, p: pytest.Pytester, *, within_s: float | None = None) -> list[dict]:
        """A perfect model: every cell passes every test, with a clean ledger; returns the rows."""
        res, rows, elapsed = self.run(p, "1")
        assert sorted(r["task_id"] for r in rows) == self.tasks, res.stdout.str()[-3000:]
        for row in rows:
            assert row["error"] == "none", (row["reason"], res.stdout.str()[-3000:])
            assert row["passed"] and row["tests_passed"] == row["tests_total"] > 0
            self.check_ledger(row)
        res.assert_outcomes(passed=2)
        if within_s is not None:
            assert elapsed < within_s
        return rows

    def assert_cells_fail(self, p: pytest.Pytester, *, agent_ms_under: int, within_s: float) -> list[dict]:
        """A useless model: the agent runs to its end (not an agent error) and only scoring says the files
        are wrong; no cell hangs; the ledger is still clean. Returns the rows."""
        res, rows, elapsed = self.run(p, "0")
        assert len(rows) == 2, res.stdout.str()[-3000:]
        for row in rows:
            assert row["error"] == "none", row["reason"]
            assert not row["passed"] and row["tests_total"] > 0 and row["tests_passed"] < row["tests_total"]
            assert row["agent_ms"] < agent_ms_under
            self.check_ledger(row)
        res.assert_outcomes(failed=2)
        assert elapsed < within_s
        return rows
