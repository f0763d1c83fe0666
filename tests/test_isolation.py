"""Cells cannot read each other: the sweep's out dir, the repository and the task roots are hidden.

The attack this guards against: a candidate that walked the file system for ``**/evidence/*/files/`` and
ran another cell's solution passed whenever the out dir lived outside /tmp, /root and /home (the only
places the sandbox used to cover). The probe runs in the sandbox a real session builds, with an out dir
under /var/tmp, and must find nothing; the same probe as a plain process finds the evidence and the
references, so the test can fail.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_hybrid_eval.config import build_config
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.bwrap import mount_plan
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.session import SweepSession

REPO = Path(__file__).resolve().parents[1]
REFERENCE = next(p for p in sorted((REPO / "bench_suites").glob("puzzles/*/reference/*.py")))
BWRAP_REASON = probe_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP_REASON is not None, reason=f"bwrap unusable: {BWRAP_REASON}")

PROBE = """
import json, os, sys
found = []
for base in sys.argv[2:]:
    for dirpath, dirnames, _ in os.walk(base):
        if os.path.basename(dirpath) == "files" and os.path.basename(os.path.dirname(os.path.dirname(dirpath))) == "evidence":
            found.append(dirpath)
try:
    reference = open(sys.argv[1]).read()
except OSError as exc:
    reference = None
print(json.dumps({"found": found, "reference": reference is not None}))
"""


@pytest.fixture
def out_dir() -> Iterator[Path]:
    """An out dir outside /tmp, /root and /home holding another cell's evidence."""
    base = Path("/var/tmp") / f"hev-iso-{uuid.uuid4().hex[:8]}"
    files = base / "out" / "evidence" / "other-cell" / "files"
    files.mkdir(parents=True)
    (files / "sol.py").write_text("def f(x):\n    return x * x\n")
    (base / "out" / "raw.jsonl").write_text("{}\n")
    yield base / "out"
    shutil.rmtree(base, ignore_errors=True)


def probe(sandbox: Sandbox, work: Path, out_dir: Path) -> dict[str, object]:
    res = sandbox.run([sys.executable, "-c", PROBE, str(REFERENCE), str(out_dir.parent), str(REPO)], work,
                      Limits(wall_s=30))
    assert res.exit_code == 0, res.output_tail
    return json.loads(res.output_tail.strip().splitlines()[-1])


def test_the_probe_finds_evidence_and_references_without_a_sandbox(out_dir: Path, tmp_path: Path) -> None:
    seen = probe(ProcessSandbox(), tmp_path, out_dir)
    assert seen["found"] == [str(out_dir / "evidence" / "other-cell" / "files")] and seen["reference"] is True


@needs_bwrap
def test_a_cell_sandbox_hides_other_cells_the_repo_and_the_references(out_dir: Path, tmp_path: Path) -> None:
    cfg = build_config(None, overrides=[f"out_dir={out_dir}", "sandbox.kind=bwrap"])
    session = SweepSession(cfg, REPO, is_controller=False)
    assert session.out_dir == out_dir
    work = tmp_path / "cell"
    work.mkdir()
    # the interpreter runs from REPO/.venv when the venv lives in the repository: it must stay usable
    seen = probe(session.sandbox, work, out_dir)
    assert seen == {"found": [], "reference": False}


def test_mount_plan_binds_exposed_paths_back_inside_hidden_ones() -> None:
    repo, venv, cwd = Path("/tmp/clone"), Path("/tmp/clone/.venv"), Path("/tmp/clone/work")
    inner = Path("/tmp/clone/work/reference")
    args = mount_plan([repo, inner], [venv], cwd)
    order = [args[i + 1] for i, a in enumerate(args) if a in ("--tmpfs", "--ro-bind", "--bind")]
    assert order == [str(repo), str(venv), str(cwd), str(inner)]
    assert args[args.index("--ro-bind") + 1:args.index("--ro-bind") + 3] == [str(venv), str(venv)]
