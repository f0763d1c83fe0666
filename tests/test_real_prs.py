"""The real-prs adapter: deterministic mirrors, materialized task directories that score honestly, and
one-line errors for bad instance files. Everything runs offline from bench_suites/real_prs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.tasks import real_prs, real_prs_verify
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.tasks.validate import validate_task
from pytest_hybrid_eval.workspace import prepare_workspace

SUITE = Path(__file__).resolve().parent.parent / "bench_suites" / "real_prs"
JSONL = SUITE / "instances.jsonl"
INSTANCES = real_prs.load_instances(JSONL)
IDS = [i.task_id for i in INSTANCES]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return BwrapSandbox() if probe_bwrap() is None else ProcessSandbox()


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    module = real_prs._load_builder(JSONL)
    assert module is not None
    return module


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mirrors")


@pytest.fixture(scope="module")
def tasks(mirrors: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Task]:
    """Materialized from an empty mirror dir: the mirrors are built on demand by the suite's script."""
    cache = tmp_path_factory.mktemp("tasks")
    return {t.id: t for t in real_prs.discover_real_prs(JSONL, mirrors, cache)}


def _write(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "instances.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _record(**changes: object) -> dict:
    raw = json.loads(JSONL.read_text(encoding="utf-8").splitlines()[0])
    raw.update(changes)
    return raw


# -- the committed suite --------------------------------------------------------------------------------


def test_suite_has_at_least_three_instances_on_distinct_repos() -> None:
    assert len(INSTANCES) >= 3
    assert len({i.repo for i in INSTANCES}) >= 3
    for inst in INSTANCES:
        assert inst.fail_to_pass and inst.pass_to_pass and inst.decoy_patch
        assert inst.editable and all(not p.startswith("tests/") for p in inst.editable)


def test_mirror_shas_are_stable_across_builds(builder: ModuleType, tmp_path: Path) -> None:
    first = builder.build_mirrors(tmp_path / "a")
    second = builder.build_mirrors(tmp_path / "b")
    assert first == second
    for inst in INSTANCES:
        assert inst.base_commit in first[inst.repo].values(), f"{inst.instance_id}: committed sha not reproduced"


def test_committed_instances_match_a_fresh_build(builder: ModuleType, mirrors: Path, tasks: dict[str, Task]) -> None:
    assert builder.check(mirrors, JSONL) == []


def test_check_reports_a_stale_field(builder: ModuleType, mirrors: Path, tasks: dict[str, Task], tmp_path: Path) -> None:
    stale = _write(tmp_path, [json.loads(ln) for ln in JSONL.read_text(encoding="utf-8").splitlines()])
    lines = stale.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["base_commit"] = "0" * 40
    stale.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    assert builder.check(mirrors, stale) == [f"{first['instance_id']}: field 'base_commit' differs from a fresh build"]


# -- materialized layout --------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", IDS)
def test_layout_is_a_normal_task(tasks: dict[str, Task], task_id: str) -> None:
    task = tasks[task_id]
    inst = next(i for i in INSTANCES if i.task_id == task_id)
    assert task.task_class == "real_prs" and task.family == inst.repo.split("/")[-1]
    assert task.editable == inst.editable
    assert not (task.public_dir / "tests").exists() and not (task.public_dir / ".git").exists()
    touched = {p.removeprefix("tests/") for p in real_prs_verify._touched_tests(inst)}
    assert {str(p.relative_to(task.hidden_dir)) for p in task.hidden_dir.rglob("*.py")} == touched
    for rel in task.editable:
        assert task.reference_files()[rel] != task.starting_files()[rel]
        assert (task.decoy_files() or {})[rel] not in (task.reference_files()[rel], task.starting_files()[rel])
    assert inst.problem_statement.strip() in task.prompt and all(rel in task.prompt for rel in task.editable)


@pytest.mark.parametrize("task_id", IDS)
def test_workspace_holds_base_checkout_and_no_secrets(tasks: dict[str, Task], task_id: str, tmp_path: Path) -> None:
    task = tasks[task_id]
    ws = prepare_workspace(task, tmp_path / "ws")
    given = {p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    for secret in [*task.hidden_dir.rglob("*.py"), *task.reference_dir.rglob("*.py")]:
        assert secret.read_bytes() not in given, secret


@pytest.mark.parametrize("task_id", IDS)
def test_each_instance_validates_and_honours_its_test_lists(
    tasks: dict[str, Task], task_id: str, sandbox: Sandbox
) -> None:
    task = tasks[task_id]
    inst = next(i for i in INSTANCES if i.task_id == task_id)
    assert validate_task(task, sandbox) == []  # reference passes, base and decoy fail, nothing leaks
    assert real_prs_verify.verify_instance(task, inst, sandbox) == []


def test_verify_catches_a_fail_to_pass_id_that_already_passes(tasks: dict[str, Task], sandbox: Sandbox) -> None:
    inst = INSTANCES[0]
    passing = inst.pass_to_pass[0]
    wrong = inst.model_copy(update={"fail_to_pass": [*inst.fail_to_pass, passing, "tests/test_nope.py::test_x"]})
    assert real_prs_verify.verify_instance(tasks[inst.task_id], wrong, sandbox) == [
        f"FAIL_TO_PASS {passing} already passes at the base commit",
        "FAIL_TO_PASS tests/test_nope.py::test_x does not exist in the materialized tests",
    ]


def test_scored_nodeid_maps_touched_files_to_hidden_tests() -> None:
    inst = next(i for i in INSTANCES if i.task_id.startswith("tinyini"))
    assert real_prs_verify.scored_nodeid(inst, "tests/test_parser.py::test_x[a-b]") == "hidden_tests/test_parser.py::test_x[a-b]"
    assert real_prs_verify.scored_nodeid(inst, "tests/test_config.py::test_y") == "tests/test_config.py::test_y"
    with pytest.raises(TaskError, match="outside tests/"):
        real_prs_verify.scored_nodeid(inst, "src/test_z.py::test_z")


def test_rematerializes_only_when_the_record_changes(mirrors: Path, tasks: dict[str, Task], tmp_path: Path) -> None:
    path = _write(tmp_path, [_record()])
    (task,) = real_prs.discover_real_prs(path, mirrors, tmp_path / "cache")
    stamp = task.root / real_prs.STAMP_FILE
    stamp_ns = stamp.stat().st_mtime_ns
    assert real_prs.discover_real_prs(path, mirrors, tmp_path / "cache")[0].root == task.root
    assert stamp.stat().st_mtime_ns == stamp_ns  # up to date: not rewritten
    path = _write(tmp_path, [_record(difficulty="hard")])
    (again,) = real_prs.discover_real_prs(path, mirrors, tmp_path / "cache")
    assert again.difficulty == "hard" and stamp.stat().st_mtime_ns != stamp_ns


def test_materialize_all_writes_task_dirs_into_the_suite_dir(mirrors: Path, tmp_path: Path) -> None:
    suite = tmp_path / "real_prs"
    suite.mkdir()
    _write(suite, [_record()])
    (task,) = real_prs.materialize_all(suite, mirrors)
    assert task.root == suite / task.id and (task.root / "task.yaml").is_file()
    assert [t.id for t in real_prs.materialize_roots([tmp_path], mirrors)] == [task.id]


# -- errors ---------------------------------------------------------------------------------------------


def _one_line(exc: pytest.ExceptionInfo[TaskError]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_malformed_line_names_line_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, [_record(), _record(instance_id="other", base_commit="abc123")])
    with pytest.raises(TaskError) as exc:
        real_prs.load_instances(path)
    assert _one_line(exc) == f"{path}:2: field 'base_commit': Value error, must be a full 40-character lowercase hex commit sha"


def test_missing_field_and_bad_json_are_one_line(tmp_path: Path) -> None:
    raw = _record()
    del raw["test_patch"]
    path = _write(tmp_path, [raw])
    with pytest.raises(TaskError) as exc:
        real_prs.load_instances(path)
    assert _one_line(exc) == f"{path}:1: field 'test_patch': Field required"
    path.write_text(json.dumps(_record()) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(TaskError) as exc:
        real_prs.load_instances(path)
    assert _one_line(exc).startswith(f"{path}:2: not valid JSON")


def test_duplicate_ids_and_swe_bench_string_lists(tmp_path: Path) -> None:
    rec = _record(FAIL_TO_PASS=json.dumps(["tests/a.py::t"]), created_at="2024-01-01", version="1.0")
    (inst,) = real_prs.load_instances(_write(tmp_path, [rec]))
    assert inst.fail_to_pass == ["tests/a.py::t"]
    assert real_prs.Instance.model_validate(_record(instance_id="Owner__Repo-12")).task_id == "owner-repo-12"
    with pytest.raises(TaskError, match=r":2: instance id .* repeats line 1"):
        real_prs.load_instances(_write(tmp_path, [rec, rec]))


def test_missing_mirror_without_builder_says_how_to_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, [_record()])  # no build_mirrors.py beside this file
    with pytest.raises(TaskError, match=r"no git mirror of hybrid-eval/\w+ under .*git clone --mirror"):
        real_prs.discover_real_prs(path, tmp_path / "empty", tmp_path / "cache")


def test_patch_touching_tests_is_rejected(mirrors: Path, tasks: dict[str, Task], tmp_path: Path) -> None:
    rec = _record()
    bad = real_prs.Instance.model_validate({**rec, "patch": rec["patch"] + rec["test_patch"]})
    with pytest.raises(TaskError, match="patch touches test file 'tests/"):
        real_prs.materialize(bad, mirrors, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_unknown_base_commit_is_reported(mirrors: Path, tasks: dict[str, Task], tmp_path: Path) -> None:
    bad = real_prs.Instance.model_validate(_record(base_commit="1" * 40))
    with pytest.raises(TaskError, match="base_commit 111111111111 is not in"):
        real_prs.materialize(bad, mirrors, tmp_path / "t")


def test_mirror_is_a_real_git_history(mirrors: Path, tasks: dict[str, Task]) -> None:
    for inst in INSTANCES:
        mirror = real_prs.find_mirror(mirrors, inst.repo)
        assert mirror is not None
        log = subprocess.run(["git", "--git-dir", str(mirror), "rev-list", "--count", "main"],
                             capture_output=True, text=True, check=True)  # fmt: skip
        assert int(log.stdout) >= 3
