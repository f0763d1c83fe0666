"""A task is a directory; this module turns one into a validated, immutable `Task`.

Layout (the README's "adding a task" section explains each part)::

    <task>/task.yaml     id, class, family, difficulty, prompt, editable files, timeouts
    <task>/public/       what the agent starts from (the workspace root)
    <task>/tests/        visible tests, copied into the workspace as ``tests/``
    <task>/hidden/       checks the agent never sees: cases.py (+ verdicts.py), or pytest tests, or rubric.yaml
    <task>/reference/    the solution: final versions of the editable files (never copied to a workspace)
    <task>/decoy/        optional: a plausible wrong version of the editable files (scripted backend)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pytest_hybrid_eval.errors import TaskError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TASK_FILE = "task.yaml"

TaskClass = Literal["puzzles", "refactors", "real_prs"]
Difficulty = Literal["easy", "medium", "hard"]


class Task(BaseModel):
    """The schema of ``task.yaml`` plus the directory it was loaded from."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    task_class: TaskClass = Field(alias="class")
    family: str
    difficulty: Difficulty
    title: str = ""
    prompt: str
    editable: list[str] = Field(min_length=1)
    agent_timeout_s: float = 300.0
    test_timeout_s: float = 60.0
    #: how the task is judged: ``cases`` (values compared outside the candidate's process, needs
    #: ``hidden/cases.py``), ``pytest`` (a test suite run in-process), ``rubric`` (a written review);
    #: ``auto`` picks ``cases`` when ``hidden/cases.py`` exists, else ``pytest``
    scorer: Literal["auto", "cases", "pytest", "rubric"] = "auto"
    root: Path = Field(default=Path("."), exclude=True)

    @field_validator("id", "family")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(f"{v!r} must be lowercase letters, digits and '-' (it becomes part of a node id)")
        return v

    @field_validator("editable")
    @classmethod
    def _relative(cls, v: list[str]) -> list[str]:
        for p in v:
            if p.startswith("/") or ".." in Path(p).parts:
                raise ValueError(f"editable path {p!r} must be relative to public/ and stay inside it")
        return v

    # -- directories -------------------------------------------------------------------------------
    @property
    def public_dir(self) -> Path:
        return self.root / "public"

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests"

    @property
    def hidden_dir(self) -> Path:
        return self.root / "hidden"

    @property
    def reference_dir(self) -> Path:
        return self.root / "reference"

    @property
    def decoy_dir(self) -> Path:
        return self.root / "decoy"

    def reference_files(self) -> dict[str, str]:
        """The solution: path (relative to the workspace) -> content, for each editable file."""
        return _read_files(self.reference_dir, self.editable)

    def starting_files(self) -> dict[str, str]:
        """The editable files as the agent first sees them (missing files read as empty)."""
        return _read_files(self.public_dir, self.editable, missing_ok=True)

    def decoy_files(self) -> dict[str, str] | None:
        """A plausible wrong solution if the task ships one."""
        if not self.decoy_dir.is_dir():
            return None
        return _read_files(self.decoy_dir, self.editable, missing_ok=True)


def _read_files(base: Path, rels: list[str], missing_ok: bool = False) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel in rels:
        p = base / rel
        if p.is_file():
            out[rel] = p.read_text(encoding="utf-8")
        elif missing_ok:
            out[rel] = ""
        else:
            raise TaskError(f"{base / rel}: file listed in 'editable' is missing; add it or remove it from task.yaml")
    return out


def load_task(task_dir: Path | str) -> Task:
    """Load and validate ``<task_dir>/task.yaml``; raise TaskError with one line naming the fix."""
    task_dir = Path(task_dir).resolve()
    path = task_dir / TASK_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"{path}: not found; a task directory needs a task.yaml") from None
    except yaml.YAMLError as exc:
        raise TaskError(f"{path}: invalid YAML ({str(exc).splitlines()[0]}); fix the syntax") from None
    if not isinstance(raw, dict):
        raise TaskError(f"{path}: must be a mapping of task fields (id, class, family, difficulty, prompt, editable)")
    try:
        task = Task.model_validate({**raw, "root": task_dir})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(root)"
        raise TaskError(f"{path}: field '{field}': {err['msg']}; fix task.yaml") from None
    if not task.public_dir.is_dir() and task.task_class != "real_prs":
        raise TaskError(f"{task_dir}: missing public/ directory; create it with the task's starting files")
    return task


def discover_tasks(roots: list[Path | str]) -> list[Task]:
    """Every task under the given roots, sorted by (class, family, id); duplicate ids are an error."""
    tasks: dict[str, Task] = {}
    for root in roots:
        root = Path(root)
        if not root.exists():
            raise TaskError(f"task root {root} does not exist; fix tasks.roots in the sweep config")
        if not root.is_dir():
            raise TaskError(f"task root {root} is a file, not a directory; pass the folder that holds task folders")
        for path in sorted(root.rglob(TASK_FILE)):
            if any(part in {"public", "reference", "decoy", "hidden", "tests"} for part in path.relative_to(root).parts[:-1]):
                continue
            task = load_task(path.parent)
            if task.id in tasks:
                raise TaskError(f"duplicate task id {task.id!r} in {tasks[task.id].root} and {task.root}; ids must be unique")
            tasks[task.id] = task
    return sorted(tasks.values(), key=lambda t: (t.task_class, t.family, t.id))
