"""A user's pytest test as a benchmark cell: its task identity, the ``hybrid_cell`` handle, and its row.

A test cell is (test, strategy, seed) with the agent ``pytest``: the test itself plays the agent, its
calls go through the routing proxy under the cell's strategy, and its outcome (passed or failed) is the
cell's. The task id is the test's name (class-qualified, with the ids of the user's own parameters), so
the same test under two strategies is one task and pairs in the analysis like any task.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import pytest

from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.results import Provenance, Row, RowCalls, RowTokens
from pytest_hybrid_eval.tasks.model import Difficulty
from pytest_hybrid_eval.usage import CallRecord, CellUsage

TEST_AGENT = "pytest"
TEST_CLASS = "tests"
#: The marker a test describes itself with: ``difficulty`` (rows, analysis and the scripted skill draw) and,
#: for the offline scripted model, the ``reference`` and ``decoy`` answers it chooses between.
TASK_MARKER = "hybrid_task"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_TIMEOUT_S = 600.0


def _safe(text: str) -> str:
    """Cell ids use dots as separators and travel in URL paths: keep letters, digits, '_' and '-'."""
    return _UNSAFE.sub("-", text).strip("-")


def cell_param_id(strategy: str, seed: int) -> str:
    """The id ``hybrid_cell``'s parametrization adds to a test's name, e.g. ``cascade-s42``."""
    return f"{strategy}-s{seed}"


class TestTask:
    """What a test cell knows about its test: task id, family, difficulty and the scripted answers."""

    __test__ = False  # not a pytest test class

    def __init__(self, id: str, family: str, difficulty: Difficulty, script: tuple[str, str] | None) -> None:
        self.id = id
        self.family = family
        self.difficulty = difficulty
        self.script = script

    @classmethod
    def of(cls, item: pytest.Item) -> TestTask:
        name = getattr(item, "originalname", item.name)
        cls_node = item.getparent(pytest.Class)
        if cls_node is not None:
            name = f"{cls_node.name}-{name}"
        callspec = getattr(item, "callspec", None)
        if callspec is not None:  # the user's own parameters name distinct tasks; hybrid_cell's do not
            rest = callspec.id
            if "hybrid_cell" in callspec.params:
                rest = rest.replace(cell_param_id(*callspec.params["hybrid_cell"]), "", 1)
            if _safe(rest):
                name = f"{name}-{_safe(rest)}"
        marker = item.get_closest_marker(TASK_MARKER)
        kwargs = dict(marker.kwargs) if marker is not None else {}
        difficulty = kwargs.pop("difficulty", "medium")
        if difficulty not in ("easy", "medium", "hard"):
            raise HybridEvalError(f"{item.nodeid}: hybrid_task difficulty must be easy, medium or hard, "
                                  f"not {difficulty!r}")
        reference, decoy = kwargs.pop("reference", None), kwargs.pop("decoy", None)
        if kwargs or (reference is None) != (decoy is None):
            raise HybridEvalError(f"{item.nodeid}: hybrid_task takes difficulty=, and reference= with decoy=")
        script = (str(reference), str(decoy)) if reference is not None else None
        return cls(_safe(name), _safe(item.path.stem) or "tests", difficulty, script)


class _Proxy(Protocol):
    def base_url(self, cell_id: str, strategy: str) -> str: ...
    def usage(self, cell_id: str) -> CellUsage: ...
    def decisions(self, cell_id: str | None = None) -> list[CallRecord]: ...


class HybridCell:
    """One cell of a running test: ``base_url`` for an OpenAI client, ``client()``, ``chat()``, ``usage()``."""

    def __init__(self, task: TestTask, strategy: str, seed: int, proxy: _Proxy) -> None:
        self.task = task
        self.cell = Cell(task_id=task.id, agent=TEST_AGENT, strategy=strategy, seed=seed)
        self.strategy = strategy
        self.seed = seed
        self._proxy = proxy
        self.base_url = proxy.base_url(self.cell.id, strategy)
        self.model = f"hybrid/{strategy}"

    @property
    def id(self) -> str:
        return self.cell.id

    def client(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` client bound to this cell (needs the ``openai`` package)."""
        try:
            import openai
        except ImportError:
            raise HybridEvalError("hybrid_cell.client() needs the openai package (pip install openai); "
                                  "hybrid_cell.chat() needs nothing extra") from None
        return openai.OpenAI(base_url=self.base_url, api_key="hybrid-eval", **kwargs)

    def chat(self, prompt: str | list[dict[str, Any]], **params: Any) -> str:
        """Send one chat completion through the proxy and return the reply's text.

        ``prompt`` is a user message or a whole message list; ``params`` go into the request body.
        """
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
        body = {"model": self.model, "messages": messages, **params}
        with httpx.Client(trust_env=False, timeout=_TIMEOUT_S) as client:
            resp = client.post(f"{self.base_url}/chat/completions", json=body)
        if resp.status_code != 200:
            raise HybridEvalError(f"cell {self.id}: the routing proxy answered {resp.status_code}: "
                                  f"{resp.text[:200]}")
        return resp.json()["choices"][0]["message"].get("content") or ""

    def usage(self) -> CellUsage:
        return self._proxy.usage(self.id)

    def decisions(self) -> list[CallRecord]:
        return self._proxy.decisions(self.id)


def cell_row(cell: HybridCell, report: pytest.TestReport, usage: CellUsage, sweep: str,
             provenance: Provenance) -> Row:
    """The row of a test cell whose call phase ended with ``report`` (passed or failed)."""
    passed = report.passed
    error, reason = "none", None
    if not passed:
        crash = getattr(report.longrepr, "reprcrash", None)  # "AssertionError: assert 'a' == 'b'"
        text = crash.message if crash is not None else report.longreprtext
        reason = (text.strip().splitlines() or [""])[0][:500] or None
        refused = [c for c in usage.calls if c.error == "budget_exhausted"]
        if refused:
            error = "budget_exhausted"
        elif usage.calls and usage.failed_calls == len(usage.calls):
            error = "backend_error"  # every call failed: the model server, not the test, decided this
    started = datetime.fromtimestamp(report.start, UTC)
    # nothing a model wrote is executed in a test cell, so there is no sandbox to report
    prov = provenance.model_copy(update={"agent_version": pytest.__version__, "sandbox_kind": "none",
                                         "sandbox_isolated": True})
    return Row(
        sweep=sweep, cell_id=cell.id, task_id=cell.task.id, task_class=TEST_CLASS, family=cell.task.family,
        difficulty=cell.task.difficulty, agent=TEST_AGENT, strategy=cell.strategy, seed=cell.seed,
        passed=passed, tests_passed=int(passed), tests_total=1, error=error, reason=reason, scorer="pytest",
        tokens=RowTokens(local=usage.local, cloud=usage.cloud, aux=usage.aux),
        calls=RowCalls(local=usage.local_calls, cloud=usage.cloud_calls, aux=usage.aux_calls,
                       failed=usage.failed_calls, records=usage.calls),
        wall_ms=report.duration * 1000, agent_ms=report.duration * 1000, provenance=prov,
        started_at=started, finished_at=datetime.fromtimestamp(report.stop, UTC),
    )

