"""The miner on a tiny repository built in tmp_path: candidates, split patches, statements, the
environment spec, the bootstrap conftest, and one instance mined end to end (validated by the scorer)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.tasks import gitrepo, repo_env, repo_layout
from pytest_hybrid_eval.tasks.mine import Bounds, candidates, mine
from pytest_hybrid_eval.tasks.upstream import Facts

BUGGY = "def add(a, b):\n    return a - b\n\n\ndef neg(a):\n    return -a\n"
FIXED = "def add(a, b):\n    return a + b\n\n\ndef neg(a):\n    return -a\n"
TEST_OLD = "from calc import neg\n\n\ndef test_neg():\n    assert neg(2) == -2\n"
TEST_NEW = TEST_OLD + "\n\ndef test_add():\n    from calc import add\n\n    assert add(2, 3) == 5\n"


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x.invalid", "PATH": "/usr/bin:/bin", "HOME": str(repo)}  # fmt: skip
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, {"calc/__init__.py": BUGGY, "tests/test_calc.py": TEST_OLD, "README.md": "calc\n"}, "start")
    _git(repo, "checkout", "-q", "-b", "fix")
    _commit(repo, {"calc/__init__.py": FIXED, "tests/test_calc.py": TEST_NEW}, "add() subtracted\n\nIt must add.")
    _git(repo, "checkout", "-q", "main")
    _commit(repo, {"README.md": "calc, a calculator\n"}, "docs only")
    _git(repo, "merge", "-q", "--no-ff", "fix", "-m", "Merge pull request #7 from someone/fix\n\nFix add()")
    return repo


@pytest.fixture
def sandbox() -> Sandbox:
    return BwrapSandbox() if probe_bwrap() is None else ProcessSandbox()


def test_test_paths_and_dirs() -> None:
    assert gitrepo.is_test_path("tests/test_x.py") and gitrepo.is_test_path("testing/conftest.py")
    assert gitrepo.is_test_path("pkg/foo_test.py") and not gitrepo.is_test_path("src/pkg/core.py")
    assert gitrepo.test_dir_of(["tests/a.py", "tests/sub/b.py"]) == "tests"
    assert gitrepo.test_dir_of(["tests/a.py", "testing/b.py"]) is None


def test_candidates_keep_only_fixes_with_tests_and_code(tiny: Path) -> None:
    found = candidates(tiny / ".git", Bounds(), None, None)
    assert [c.commit.subject for c in found] == ["Merge pull request #7 from someone/fix"]
    cand = found[0]
    assert cand.test_files == ["tests/test_calc.py"] and cand.fix_files == ["calc/__init__.py"]
    assert cand.size == {"files": 1, "lines": 2, "test_lines": 6}
    assert candidates(tiny / ".git", Bounds(max_lines=1), None, None) == []
    assert candidates(tiny / ".git", Bounds(), None, "other/*.py") == []


def test_statement_comes_from_messages_not_the_diff(tiny: Path) -> None:
    head = _git(tiny, "rev-parse", "HEAD").strip()
    base = _git(tiny, "rev-parse", "HEAD^1").strip()
    text, source = gitrepo.statement(tiny / ".git", base, head)
    assert source == "pr-merge"
    assert text == "Fix add()\n\nadd() subtracted\n\nIt must add."
    assert "return" not in text


def test_dependency_spec_reads_extras_groups_and_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "calc"\ndependencies = ["attrs>=20"]\n'
        '[project.optional-dependencies]\ntests = ["pytest>=7", "hypothesis", "calc[extra]"]\ndocs = ["sphinx"]\n'
        '[dependency-groups]\ntests = ["freezegun", {include-group = "typing"}]\ntyping = ["typing-extensions"]\n',
        encoding="utf-8")  # fmt: skip
    (tmp_path / "tox.ini").write_text("[testenv]\ndeps =\n    coverage\n    pyyaml\n    -r{toxinidir}/x.txt\n")
    assert repo_env.dependency_spec(tmp_path) == ["attrs>=20", "freezegun", "hypothesis", "pyyaml",
                                                  "typing-extensions"]  # fmt: skip


def test_bootstrap_keeps_future_imports_first_and_selects(tmp_path: Path) -> None:
    header = repo_env.bootstrap_conftest(["src"], "/nowhere/site", ["test_a.py::test_keep"])
    merged = repo_layout._with_bootstrap('"""doc"""\nfrom __future__ import annotations\nX = 1\n', header)
    assert merged.startswith("from __future__ import annotations\n")
    compile(merged, "conftest.py", "exec")
    (tmp_path / "t" / "src").mkdir(parents=True)
    (tmp_path / "t" / "tests").mkdir()
    (tmp_path / "t" / "tests" / "conftest.py").write_text(merged, encoding="utf-8")
    (tmp_path / "t" / "tests" / "test_a.py").write_text("def test_keep():\n    pass\n\n\ndef test_drop():\n    pass\n")
    (tmp_path / "t" / "tests" / "test_b.py").write_text("def test_other():\n    pass\n")
    res = subprocess.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=tmp_path / "t",
                         capture_output=True, text=True)  # fmt: skip
    assert "2 passed, 1 deselected" in res.stdout, res.stdout


def test_mine_end_to_end(tiny: Path, tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRID_EVAL_MIRRORS", str(tmp_path / "mirrors"))
    monkeypatch.setenv("HYBRID_EVAL_ENVS", str(tmp_path / "envs"))
    out = tmp_path / "out"
    report = mine(str(tiny), out, sandbox, upstream="https://example.invalid/acme/calc", log=lambda *_: None)
    assert report.summary().startswith("acme/calc: mined 1 of 1 candidates; skipped by reason: none")
    record = json.loads((out / "instances.jsonl").read_text(encoding="utf-8"))
    assert record["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert record["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg"]
    assert record["statement_source"] == "pr-merge" and record["environment_setup_commit"] == record["base_commit"]
    assert "a + b" in record["patch"] and "test_add" in record["test_patch"]
    facts = json.loads((out / "facts.jsonl").read_text(encoding="utf-8"))
    Facts.model_validate(facts)
    assert not {"patch", "test_patch", "problem_statement"} & set(facts)
    assert (out / "conftest.py").is_file()
