"""Forgery regression tests: a candidate that does not solve the task cannot pass, under either scorer.

Every attack is a complete ``sol.py`` (tests/fixtures/forgery/attacks/) whose ``f`` returns a wrong value
(2, or an object that merely claims equality) and that tries to forge the verdict instead: rewiring pytest,
faking or rewriting the report, planting bytecode, poisoning builtins, ``sys.modules`` or import hooks,
acting late from a thread, a signal handler, ``atexit`` or ``__del__``, or, for the ``cases`` scorer,
forging the runner's observations. Each attack is scored by

- the ``pytest`` scorer on the ``square`` task (tests/fixtures/hostile/square, hidden pytest tests), after a
  CONTROL: the same candidate run through a naive pipeline (``python -m pytest --junitxml`` on the same tree,
  no guard plugin, no canaries, same sandbox) must come out as a pass (every test case passed, exit 0),
  otherwise the attack is broken and proves nothing;
- the ``cases`` scorer on ``square-cases`` (tests/fixtures/forgery/square-cases: the same task with
  ``hidden/cases.py`` + a host-side structural check in ``verdicts.py``).

A verdict must be ``passed is False`` with ``error in (None, "forged")``; the layer that caught it is read
from the reason. An attack that beats a scorer is kept as ``xfail(strict=True)`` naming the missed layer,
so the suite stays green and turns red the day the hole is closed (then drop the mark).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.scoring import pytest_scorer
from pytest_hybrid_eval.scoring.base import ScoreContext, ScoreResult
from pytest_hybrid_eval.scoring.cases import CasesScorer
from pytest_hybrid_eval.scoring.pytest_scorer import PytestScorer, build_tree
from pytest_hybrid_eval.scoring.registry import score
from pytest_hybrid_eval.tasks.model import Task, load_task

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SQUARE = FIXTURES / "hostile" / "square"  # pytest-scored: hidden/test_sol_hidden.py
SQUARE_CASES = FIXTURES / "forgery" / "square-cases"  # cases-scored: hidden/cases.py + verdicts.py
ATTACKS = FIXTURES / "forgery" / "attacks"
BWRAP_REASON = probe_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP_REASON is not None, reason=f"bwrap unusable: {BWRAP_REASON}")
TIMEOUT_S = 8.0
LIMITS = Limits(wall_s=TIMEOUT_S, memory_mb=512, cpu_s=20, pids=64, output_bytes=1_000_000, file_mb=64)
ENV_PATH = "/usr/local/bin:/usr/bin:/bin"


@pytest.fixture(scope="module")
def square() -> Task:
    return load_task(SQUARE)


@pytest.fixture(scope="module")
def square_cases() -> Task:
    return load_task(SQUARE_CASES)


def bwrap(*extra: Path) -> BwrapSandbox:
    """What the plugin does: hide every task root (here the fixture tasks and the repo's suites)."""
    return BwrapSandbox(hide=[SQUARE, SQUARE_CASES, REPO / "bench_suites", *extra])


def make(kind: str) -> Sandbox:
    return bwrap() if kind == "bwrap" else ProcessSandbox()


def attack(name: str) -> str:
    return (ATTACKS / f"{name}.py").read_text(encoding="utf-8")


def ctx(sandbox: Sandbox, timeout_s: float = TIMEOUT_S) -> ScoreContext:
    return ScoreContext(sandbox, timeout_s, limits=dataclasses.replace(LIMITS, wall_s=timeout_s))


@dataclasses.dataclass
class Naive:
    exit_code: int | None
    testcases: int
    all_passed: bool
    tail: str

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and self.testcases >= 3 and self.all_passed


def naive_verdict(task: Task, code: str, sandbox: Sandbox) -> Naive:
    """The CONTROL: plain ``python -m pytest --junitxml`` on the same tree, no guard, no canaries, bytecode on."""
    root = Path(tempfile.mkdtemp(prefix="hybrid-naive-"))
    try:
        tree = root / "tree"
        build_tree(task, {"sol.py": code}, tree)
        report = tree / "naive-report.xml"
        env = {"PATH": ENV_PATH, "HOME": str(tree), "LANG": "C.UTF-8", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                *pytest_scorer.test_dirs(tree)]  # fmt: skip
        res = sandbox.run(argv, tree, LIMITS, env=env)
        try:
            cases = list(ET.parse(report).getroot().iter("testcase"))
        except (OSError, ET.ParseError):
            cases = []
        ok = all(not any(c.tag in ("failure", "error", "skipped") for c in case) for case in cases)
        return Naive(res.exit_code, len(cases), ok, res.output_tail[-600:])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def layer(res: ScoreResult) -> str:
    """Which layer of a scorer caught a forgery, from its verdict."""
    why = res.reason or ""
    if why.startswith("tampering with pytest detected"):
        return "guard"
    if "canary" in why:
        return "canary"
    if "test files" in why and "changed" in why:
        return "digest"
    if "exited 0" in why or "exited with code" in why:
        return "exit-status"
    if "report does not match" in why:
        return "node-ids"
    if res.scorer == "cases":
        return "cases-compare"
    return "verdict"


class ScorerBeaten(AssertionError):
    """The attack beat the scorer. Strict xfails expect exactly this, so a broken attack (its control
    failing) or an infrastructure problem still turns the test red instead of passing as "expected"."""


def assert_fails(res: ScoreResult, what: str) -> None:
    if res.passed is not False:
        raise ScorerBeaten(f"{what}: PASSED without solving: {res}")
    if res.error not in (None, "forged"):
        raise ScorerBeaten(f"{what}: not a fail but {res.error}: {res.reason}")


def beaten(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, raises=ScorerBeaten, reason=reason)


# -- the fixtures behave --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["process", pytest.param("bwrap", marks=needs_bwrap)])
def test_honest_reference_passes_both_scorers(square: Task, square_cases: Task, kind: str) -> None:
    ref_pytest = score(square, square.reference_files(), ctx(make(kind)))
    assert (ref_pytest.passed, ref_pytest.scorer, ref_pytest.tests_passed, ref_pytest.tests_total) == (True, "pytest", 3, 3), ref_pytest  # fmt: skip
    ref_cases = score(square_cases, square_cases.reference_files(), ctx(make(kind)))
    assert (ref_cases.passed, ref_cases.scorer, ref_cases.tests_passed, ref_cases.tests_total) == (True, "cases", 5, 5), ref_cases  # fmt: skip
    # the plain wrong answer is a plain fail under both
    wrong = {"sol.py": "def f(x):\n    return 2\n"}
    for task, n_pass in ((square, 1), (square_cases, 1)):
        res = score(task, wrong, ctx(make(kind)))
        assert (res.passed, res.error, res.tests_passed) == (False, None, n_pass), res


# -- attacks on the pytest scorer, each with its naive CONTROL ------------------------------------------

#: attack -> the layer expected to catch it (or None: it beats the pytest scorer, see BEATS_PYTEST)
PYTEST_CAUGHT = {
    "plugin_conftest_gc": "guard",  # class 1
    "swallow_capture": "guard",  # class 2 (every _pytest.* module is watched: CaptureManager.item_capture)
    "pyc_plant": "digest",  # class 3
    "fake_junit": "canary",  # class 4
    "atexit_strip": "canary",  # class 5
    "meta_path_finder": "guard",  # class 6
    "builtins_open": "guard",  # builtins poisoning (the report writer's open)
    "os_makedirs": "guard",  # patched os used by the report writer
    "signal_alarm": "guard",  # a signal handler acting after collection
    "signal_prof": "canary",  # ... on a signal the guard does not watch
    "thread_rewrite": "canary",  # a thread acting after collection
    "del_at_shutdown": "canary",  # __del__ at interpreter shutdown
    # beaten by the scorer before mutant canaries and the wider guard (issue 10, second round)
    "swallow_capture_selective": "guard",  # every _pytest.* module is watched now (CaptureManager.item_capture)
    "fake_junit_selective": "canary",  # the mutants live in the real modules: cut along with the real failures
    "atexit_strip_selective": "canary",  # same
    "rewrite_hook_instance": "guard",  # the __dict__ of every sys.meta_path entry is watched
    "junitxml_open_shadow": "guard",  # additions are reported in every watched namespace
    "sys_modules_fake": "guard",  # a test module's name must not wait in sys.modules before pytest imports it
    "eq_always": "canary",  # class 7: the mutant `assert f(5) == <unguessable>` passes too
    "eq_int_subclass": "canary",
    "eq_str_subclass": "canary",
    "eq_dict_subclass": "canary",
    "frame_peek": "canary",  # the peeked constant is the mutant's unguessable one
}

#: attacks that still beat the pytest scorer (kept as strict xfails naming the missed layer): none today
BEATS_PYTEST: dict[str, str] = {}


def _pytest_params() -> list:
    params = [pytest.param(name, layer_, id=name) for name, layer_ in PYTEST_CAUGHT.items()]
    params += [pytest.param(name, None, id=name, marks=beaten("beats the pytest scorer: " + why))
               for name, why in BEATS_PYTEST.items()]  # fmt: skip
    return params


@needs_bwrap
@pytest.mark.parametrize(("name", "expected_layer"), _pytest_params())
def test_pytest_scorer_attack(square: Task, name: str, expected_layer: str | None) -> None:
    code = attack(name)
    control = naive_verdict(square, code, bwrap())
    assert control.passed, f"the attack {name} does not even fool a naive pipeline (so it proves nothing): {control}"
    res = PytestScorer().score(square, {"sol.py": code}, ctx(bwrap()))
    assert_fails(res, f"{name} under bwrap")
    assert layer(res) == expected_layer, f"{name} caught by {layer(res)}, not {expected_layer}: {res.reason}"


#: the unisolated sandbox runs the same in-process defences; a sample of the classes, to keep the file fast
PROCESS_SAMPLE = ["plugin_conftest_gc", "swallow_capture", "pyc_plant", "fake_junit", "atexit_strip",
                  "meta_path_finder"]  # fmt: skip


@pytest.mark.parametrize("name", PROCESS_SAMPLE)
def test_pytest_scorer_attack_unisolated(square: Task, name: str) -> None:
    res = PytestScorer().score(square, {"sol.py": attack(name)}, ctx(ProcessSandbox()))
    assert_fails(res, f"{name} under process")
    assert layer(res) == PYTEST_CAUGHT[name], res.reason


# -- the same attacks (and the cases-specific ones) against the cases scorer ------------------------------

CASES_ONLY = ["observations_forged", "encode_patched", "structure_rewritten"]
#: attacks that still beat the cases scorer: none today (observations_crash_scorer: a check that raises on the
#: candidate's data is a failed case; infra_banner: "did not start" comes from bwrap's status pipe only)
BEATS_CASES: dict[str, str] = {}
CASES_CAUGHT_LATER = ["observations_crash_scorer", "infra_banner"]


def _cases_params() -> list:
    names = [*PYTEST_CAUGHT, *BEATS_PYTEST, *CASES_ONLY, *CASES_CAUGHT_LATER]
    params = [pytest.param(name, id=name) for name in names]
    params += [pytest.param(name, id=name, marks=beaten("beats the cases scorer: " + why))
               for name, why in BEATS_CASES.items()]  # fmt: skip
    return params


@pytest.mark.parametrize("kind", ["process", pytest.param("bwrap", marks=needs_bwrap)])
@pytest.mark.parametrize("name", _cases_params())
def test_cases_scorer_attack(square_cases: Task, name: str, kind: str) -> None:
    res = CasesScorer().score(square_cases, {"sol.py": attack(name)}, ctx(make(kind)))
    assert_fails(res, f"{name} under {kind}")
    assert layer(res) == "cases-compare"
    # the value cases decided it (the attack's f is wrong), or the structural check on the source as submitted
    if name == "structure_rewritten":
        assert res.reason is not None and "structure:" in res.reason and res.tests_passed == 4, res.reason
    elif name == "infra_banner":
        assert res.error is None and res.reason is not None and "exit 1" in res.reason, res.reason
    else:
        assert res.reason is not None and re.search(r"f_of_(five|minus_three|one|secret)", res.reason), res.reason


def test_a_check_that_crashes_on_the_candidates_data_is_a_failed_case() -> None:
    """Observations are the candidate's data: one that makes decoding or a task's check raise fails its case
    (it does not become a scoring error); a check that does not exist is still the task's bug."""
    from types import SimpleNamespace

    from pytest_hybrid_eval.errors import TaskError
    from pytest_hybrid_eval.scoring.cases import judge_guarded
    from pytest_hybrid_eval.scoring.compare import decode, mismatch
    from pytest_hybrid_eval.scoring.spec import CaseSpec

    def fragile(observed):  # a check written for the reference's kind of data
        return observed["value"] + 1 == 3

    verdicts = SimpleNamespace(fragile=fragile)
    spec = CaseSpec("c", 1, check="fragile")
    assert judge_guarded(spec, {"case": "c", "obs": {"__dict__": [["value", 2]]}}, verdicts) is None
    why = judge_guarded(spec, {"case": "c", "obs": {"__int__": "x"}}, verdicts)
    assert why is not None and why.startswith("malformed observation"), why
    assert mismatch(26, {"__int__": "x"}) is not None and decode({"__float__": ["x"]}) is None
    with pytest.raises(TaskError):
        judge_guarded(CaseSpec("c", 1, check="missing"), {"case": "c", "obs": 1}, verdicts)


# -- turning a fail into an infrastructure error (score_error: retried, left out of "excluding infra") ------

INFRA_PYTEST = {
    "infra_banner": "`bwrap: ...` on the output pipe + exit 1: once read as 'sandbox did not start'",
    "infra_no_pytest": "'No module named pytest' in the output while pytest ran: once read as 'pytest is not "
                       "importable'",
    "infra_usage_exit": "os._exit(4) at import: once read as 'pytest usage error'",
}  # fmt: skip


@needs_bwrap
@pytest.mark.parametrize("name", list(INFRA_PYTEST))
def test_pytest_scorer_infra_error_forgery(square: Task, name: str) -> None:
    """Only bubblewrap's own status pipe says "did not start"; a missing pytest or a usage error after the
    reference collected fine in the same sandbox is the candidate's doing: a plain fail."""
    res = PytestScorer().score(square, {"sol.py": attack(name)}, ctx(bwrap()))
    assert_fails(res, name)
    assert res.error is None, res


@needs_bwrap
def test_a_sandbox_that_really_did_not_start_is_still_score_error(square: Task, square_cases: Task) -> None:
    """The other side of the infra checks: bubblewrap failing to set up (a bind source that does not exist)
    is an infrastructure error under both scorers, whatever the output says."""

    class Broken(BwrapSandbox):
        def build_argv(self, *args, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
            cmd = super().build_argv(*args, **kwargs)
            cut = cmd.index("--")
            return [*cmd[:cut], "--ro-bind", "/nonexistent-hybrid-eval-bind", "/x", *cmd[cut:]]

    broken = Broken(hide=[SQUARE, SQUARE_CASES, REPO / "bench_suites"])
    run = broken.run(["true"], Path(tempfile.mkdtemp(prefix="hybrid-nostart-")), LIMITS)
    assert run.extra["started"] == "false" and "bwrap:" in run.output_tail, run
    ok = bwrap().run([sys.executable, "-c", "print('bwrap: fake'); raise SystemExit(1)"],
                     Path(tempfile.mkdtemp(prefix="hybrid-start-")), LIMITS)  # fmt: skip
    assert (ok.extra["started"], ok.exit_code) == ("true", 1), ok
    res = CasesScorer().score(square_cases, square_cases.reference_files(), ctx(broken))
    assert (res.passed, res.error) == (False, "score_error") and "did not start" in (res.reason or ""), res
    pytest_scorer._EXPECTED.clear()  # the reference collect must run (and fail) in the broken sandbox
    res = PytestScorer().score(square, square.reference_files(), ctx(broken))
    assert (res.passed, res.error) == (False, "score_error") and "did not start" in (res.reason or ""), res


# -- the layers after the guard hold on their own ---------------------------------------------------------

NOGUARD = FIXTURES / "forgery" / "noguard.py"
#: attacks the guard catches first; with the guard replaced by a no-op, the canaries (or the exit status, the
#: node ids, the digests) must still catch them
GUARD_FIRST = [name for name, layer_ in PYTEST_CAUGHT.items() if layer_ == "guard"]


@needs_bwrap
@pytest.mark.parametrize("name", GUARD_FIRST)
def test_pytest_scorer_attack_without_the_guard(square: Task, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant canaries live in the real test modules, so even a forgery the guard misses cannot spare them."""
    monkeypatch.setattr(pytest_scorer, "guardplugin", type("NoGuard", (), {"__file__": str(NOGUARD)}))
    pytest_scorer._EXPECTED.clear()
    try:
        res = PytestScorer().score(square, {"sol.py": attack(name)}, ctx(bwrap()))
    finally:
        pytest_scorer._EXPECTED.clear()
    assert_fails(res, f"{name} without the guard")
    assert layer(res) not in ("guard", "verdict"), f"{name}: {layer(res)}: {res.reason}"


# -- expected values are unreachable from the cases sandbox ----------------------------------------------

_SEARCH = '''
import os, sys, time

_WANT = {want!r}[::-1].encode()  # the sentinel, reversed so that this file does not contain it
_ROOTS = [os.getcwd(), "/tmp", "/var/tmp", "/root", "/home", "/dev/shm", "/run", "/work", sys.prefix,
          *[p for p in sys.path if "site-packages" in p]]


def _scan():
    found, seen, deadline = [], set(), time.monotonic() + 20
    for top in _ROOTS:
        for root, dirs, names in os.walk(top):
            if time.monotonic() > deadline:
                return found + ["<incomplete>"]
            for name in names:
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                    if (st.st_dev, st.st_ino) in seen or not os.path.isfile(path) or st.st_size > 8_000_000:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                if _WANT in data:  # this run's expected value (other checkouts of the fixture hold other values)
                    return found + [path]
    for pid in os.listdir("/proc"):
        for part in ("environ", "cmdline"):
            try:
                with open(f"/proc/{{pid}}/{{part}}", "rb") as fh:
                    if _WANT in fh.read():
                        found.append(f"/proc/{{pid}}/{{part}}")
            except OSError:
                pass
    return found


_FOUND = _scan()


def f(x):
    return _FOUND if x == {arg} else 2
'''


@needs_bwrap
def test_expected_values_are_unreachable_from_the_cases_sandbox(tmp_path: Path) -> None:
    """A fresh sentinel in ``expect=`` of a task copy that lives outside /tmp (hidden like any task root); the
    candidate searches every readable place for it and finds nothing (a copy of the fixture elsewhere on the
    machine, e.g. a second checkout, holds a different value, so it is no leak of this run's expectation)."""
    import secrets

    arg = 10**11 + secrets.randbelow(10**11)
    sentinel = str(arg * arg + 1)
    root = Path(tempfile.mkdtemp(prefix="hybrid-forgery-", dir="/var/tmp"))
    try:
        task_dir = root / "square-cases"
        shutil.copytree(SQUARE_CASES, task_dir)
        cases = task_dir / "hidden" / "cases.py"
        cases.write_text(cases.read_text(encoding="utf-8").replace("17994565", sentinel).replace("f(4242)", f"f({arg})"),
                         encoding="utf-8")  # fmt: skip
        task = load_task(task_dir)
        code = _SEARCH.format(want=sentinel[::-1], arg=arg)
        assert sentinel not in code
        # CONTROL: with the task copy left visible, the same search finds the expected value
        exposed = CasesScorer().score(task, {"sol.py": code}, ctx(bwrap(), timeout_s=40))
        assert f'f_of_secret: expected {sentinel}, got ["{cases}"]' in (exposed.reason or ""), exposed.reason
        res = CasesScorer().score(task, {"sol.py": code}, ctx(bwrap(task_dir), timeout_s=40))
        assert_fails(res, "sentinel search")
        # f_of_secret observed the list of places where the sentinel was found: none, and the search finished
        assert f"f_of_secret: expected {sentinel}, got []" in (res.reason or ""), res.reason
    finally:
        shutil.rmtree(root, ignore_errors=True)
