"""The ``cases`` scorer: the candidate runs in the sandbox and reports data; this process compares it.

For a task with ``hidden/cases.py`` (the format is in ``spec``): the scoring tree holds the public files,
the candidate's editable files, the runner (``casekit``) and the cases file *with its expectations
stripped*. The runner imports the candidate's code, calls each case and writes what it observed as
JSON. Here, in a process that never imports candidate code, each observation is compared with its
expectation (``compare``) or handed to the task's host-side ``verdicts.py``. A candidate that patches
pytest, plants bytecode, hooks ``atexit`` or returns objects whose ``__eq__`` is always true gains
nothing: there is no test framework in the sandbox to rewire, no expected value to read or to compare
against, and no object of the candidate's crosses back.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import ClassVar

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.sandbox.base import Limits
from pytest_hybrid_eval.scoring import casekit
from pytest_hybrid_eval.scoring.base import ScoreContext, ScoreResult, last_line
from pytest_hybrid_eval.scoring.compare import decode, mismatch
from pytest_hybrid_eval.scoring.pytest_scorer import did_not_start
from pytest_hybrid_eval.scoring.spec import CASES_FILE, VERDICTS_FILE, CaseSpec, read_cases
from pytest_hybrid_eval.scoring.tree import CASES_DIR, overlay_candidate, purge_bytecode
from pytest_hybrid_eval.tasks.model import Task

RUNNER_NAME = "hybrid_cases.py"
OUT_NAME = "observations.jsonl"
MAX_OUT_BYTES = 16 * 1024 * 1024
DEFAULT_CASE_TIMEOUT_S = 10.0


def has_cases(task: Task) -> bool:
    return (task.hidden_dir / CASES_FILE).is_file()


def _verdicts_module(task: Task) -> ModuleType | None:
    """The task's host-side check functions (trusted task code; never copied into the sandbox)."""
    path = task.hidden_dir / VERDICTS_FILE
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_hybrid_verdicts_{task.id.replace('-', '_')}", path)
    if spec is None or spec.loader is None:
        raise TaskError(f"{path}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_observations(path: Path) -> tuple[dict[str, dict], str | None, bool]:
    """case -> record, the import error if the candidate's code did not import, and whether the run ended."""
    records: dict[str, dict] = {}
    import_error: str | None = None
    done = False
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_OUT_BYTES + 1)
    except OSError:
        return records, None, False
    for raw in data[:MAX_OUT_BYTES].splitlines():
        try:
            rec = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if not isinstance(rec, dict):
            continue
        if "import_error" in rec:
            import_error = str(rec["import_error"])
        elif "done" in rec:
            done = True
        elif isinstance(rec.get("case"), str) and rec["case"] not in records:
            records[rec["case"]] = rec  # the first record of a case counts; a later "correction" does not
    return records, import_error, done


def _sources(tree: Path) -> dict[str, str]:
    """The tree's text files as the candidate left them (public + editable), for static checks on the host."""
    out: dict[str, str] = {}
    budget = MAX_OUT_BYTES
    for p in sorted(tree.rglob("*")):
        rel = p.relative_to(tree)
        if rel.parts[0] == CASES_DIR or not p.is_file() or p.is_symlink() or p.suffix in (".pyc", ".so"):
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        budget -= len(text)
        if budget < 0:
            break
        out[rel.as_posix()] = text
    return out


def _wants_files(fn: object) -> bool:
    try:
        params = [p for p in inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]  # fmt: skip
    except (TypeError, ValueError):
        return False
    return len(params) >= 2


def judge_case(spec: CaseSpec, record: dict | None, verdicts: ModuleType | None,
               files: dict[str, str] | None = None) -> str | None:  # fmt: skip
    """None when the case passed; else why it failed (one line)."""
    if record is None:
        return "no observation (the run stopped before this case)"
    if "error" in record:
        return str(record["error"])[:300]
    if "obs" not in record:
        return "malformed observation"
    if spec.check is None:
        return mismatch(spec.expect, record["obs"])
    fn = getattr(verdicts, spec.check, None) if verdicts is not None else None
    if not callable(fn):
        raise TaskError(f"check {spec.check!r} of case {spec.name!r} is not a function of hidden/{VERDICTS_FILE}")
    observed = decode(record["obs"])
    outcome = fn(observed, files or {}) if _wants_files(fn) else fn(observed)
    if outcome is True or outcome is None:
        return None
    return str(outcome) if isinstance(outcome, str) else f"check {spec.check} failed"


def judge_guarded(spec: CaseSpec, record: dict | None, verdicts: ModuleType | None,
                  files: dict[str, str] | None = None) -> str | None:  # fmt: skip
    """``judge_case``, where an observation that makes decoding or checking raise is a failed case.

    Observations are the candidate's data: one crafted to crash ``compare`` or a task's check (``{"__int__":
    "x"}``) must not turn its fail into a scoring error (which is retried and left out of the pass rate).
    A ``TaskError`` (a check that does not exist) is the task's bug and still propagates.
    """
    try:
        return judge_case(spec, record, verdicts, files)
    except TaskError:
        raise
    except Exception as exc:  # noqa: BLE001 - any crash on the candidate's data is the candidate's fail
        return f"malformed observation (checking it raised {type(exc).__name__}: {str(exc)[:150]})"


class CasesScorer:
    """Out-of-process comparison of plain data; see the module docstring."""

    name: ClassVar[str] = "cases"

    def score(self, task: Task, files: dict[str, str | None], ctx: ScoreContext) -> ScoreResult:
        start = time.monotonic()
        sandbox = ctx.require_sandbox()

        def result(passed: bool, n_pass: int, total: int, reason: str | None, *, error: bool = False,
                   hit: str | None = None, notes: list[str] | None = None) -> ScoreResult:  # fmt: skip
            return ScoreResult(passed, n_pass, total, "score_error" if error else None, reason,
                               time.monotonic() - start, sandbox.kind, sandbox.isolated, hit,
                               tuple(notes or ()), self.name)  # fmt: skip

        try:
            spec = read_cases(task.hidden_dir / CASES_FILE)
            verdicts = _verdicts_module(task)
        except TaskError as exc:
            return result(False, 0, 0, str(exc), error=True)
        except Exception as exc:  # noqa: BLE001 - a broken verdicts.py is the task's fault, not the candidate's
            return result(False, 0, 0, f"hidden/{VERDICTS_FILE} of {task.id} failed to load: {exc}", error=True)
        total = len(spec.cases)
        limits = dataclasses.replace(ctx.limits or Limits(), wall_s=ctx.timeout_s)
        root = Path(tempfile.mkdtemp(prefix="hybrid-cases-"))
        try:
            tree = root / "tree"
            notes = overlay_candidate(task, files, tree)
            purge_bytecode(tree)
            kit = tree / CASES_DIR
            kit.mkdir()
            shutil.copyfile(casekit.__file__, kit / RUNNER_NAME)
            (kit / CASES_FILE).write_text(spec.stripped_source, encoding="utf-8")
            # read before the run: the tree is writable in the sandbox, and a candidate that rewrote its own
            # source at import time must not be judged on the rewritten text
            sources = _sources(tree) if verdicts is not None else {}
            out = kit / OUT_NAME
            case_timeout = min(DEFAULT_CASE_TIMEOUT_S, ctx.timeout_s)
            argv = [sys.executable, "-B", "-s", f"{CASES_DIR}/{RUNNER_NAME}", f"{CASES_DIR}/{CASES_FILE}",
                    str(out), f"{case_timeout:g}"]  # fmt: skip
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tree), "LANG": "C.UTF-8",
                   "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}  # fmt: skip
            try:
                res = sandbox.run(argv, tree, limits, env=env)
            except OSError as exc:
                return result(False, 0, total, f"sandbox could not run the cases: {exc}", error=True, notes=notes)
            if (infra := did_not_start(res)) is not None:  # bwrap's own status pipe, never the output
                return result(False, 0, total, infra, error=True, hit=res.limit_hit, notes=notes)
            records, import_error, done = _read_observations(out)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        if import_error is not None:
            last = last_line(import_error)
            return result(False, 0, total, f"the candidate's code could not be imported: {last}",
                          hit=res.limit_hit, notes=notes)  # fmt: skip
        try:
            failures = [(c.name, why) for c in spec.cases if (why := judge_guarded(c, records.get(c.name), verdicts, sources))]
        except TaskError as exc:
            return result(False, 0, total, str(exc), error=True, notes=notes)
        n_pass = total - len(failures)
        if not failures:
            return result(True, n_pass, total, None, hit=res.limit_hit, notes=notes)
        reason = f"{len(failures)} of {total} cases failed: " + "; ".join(f"{n}: {w}" for n, w in failures[:3])
        if not done:
            stop = f"{res.limit_hit} limit hit" if res.limit_hit else f"exit {res.exit_code}: {last_line(res.output_tail)}"
            reason += f" (the run stopped early: {stop})"
        return result(False, n_pass, total, reason[:2000], hit=res.limit_hit, notes=notes)
