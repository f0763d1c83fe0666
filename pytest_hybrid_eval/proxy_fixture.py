"""``hybrid_proxy``: the session's routing proxy as seen from a test, in any process of the run.

The controller starts the proxy once (``session.SweepSession.start``) and xdist workers get its URL, so
this object is only a client of it over loopback HTTP: a base URL per (cell, strategy), a cell's usage
ledger, the routing decisions, and cells for the running test (``cell``), whose rows the plugin writes
when the test ends (see ``fixtures``).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from pytest_hybrid_eval.cell_fixture import HybridCell, TestTask
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import fetch_usage
from pytest_hybrid_eval.simulator.scripted_tests import TestScript
from pytest_hybrid_eval.usage import CallRecord, CellUsage

#: Where a test's opened cells wait for its report (``fixtures.pytest_runtest_makereport``).
OPENED: pytest.StashKey[list[HybridCell]] = pytest.StashKey()
_TIMEOUT_S = 10.0


class HybridProxy:
    """The running proxy: ``url``, the configured ``strategies`` and ``seeds``, ``base_url``, ``usage``,
    ``decisions`` and ``cell``."""

    def __init__(self, url: str, strategies: list[str], seeds: list[int], scripted_url: str | None) -> None:
        self.url = url.rstrip("/")
        self.strategies = list(strategies)
        self.seeds = list(seeds)
        self._scripted_url = scripted_url
        self._registered: set[str] = set()
        self.current: pytest.Item | None = None  # the test being run in this process (set by fixtures)

    def base_url(self, cell_id: str, strategy: str) -> str:
        """The OpenAI base URL (ending in ``/v1``) that routes under ``strategy`` and books calls on ``cell_id``."""
        return cell_url(self.url, cell_id, strategy)

    def usage(self, cell_id: str) -> CellUsage:
        """The cell's ledger so far: tokens per tier, call counts and every call's decision record."""
        return fetch_usage(self.url, cell_id, timeout=_TIMEOUT_S)

    def decisions(self, cell_id: str | None = None) -> list[CallRecord]:
        """Every routed call's record in arrival order (all cells, or one)."""
        with httpx.Client(trust_env=False, timeout=_TIMEOUT_S) as client:
            resp = client.get(f"{self.url}/decisions", params={"cell": cell_id} if cell_id else None)
        if resp.status_code != 200:
            raise HybridEvalError(f"the routing proxy answered {resp.status_code} for its decisions")
        return [CallRecord.model_validate(r) for r in resp.json()["records"]]

    def cell(self, strategy: str, seed: int | None = None, *, item: pytest.Item | None = None) -> HybridCell:
        """A cell of the running test under ``strategy`` (and ``seed``, default the config's first).

        It becomes a row of raw.jsonl with the test's outcome when the test's call phase ends.
        """
        item = item or self.current
        if item is None:
            raise HybridEvalError("hybrid_proxy.cell() opens a cell for the running test; call it inside a test")
        if strategy not in self.strategies:
            raise HybridEvalError(f"strategy {strategy!r} is not in this sweep; its strategies: "
                                  f"{', '.join(self.strategies)}")
        task = TestTask.of(item)
        cell = HybridCell(task, strategy, self.seeds[0] if seed is None else seed, self)
        self._register(task)
        item.stash.setdefault(OPENED, []).append(cell)
        return cell

    def _register(self, task: TestTask) -> None:
        """Tell the scripted model what a right and a wrong answer to this test are (offline runs only)."""
        if self._scripted_url is None or task.script is None or task.id in self._registered:
            return
        url = f"{self._scripted_url.rstrip('/')}/scripts/{quote(task.id, safe='')}"
        body = TestScript(reference=task.script[0], decoy=task.script[1], difficulty=task.difficulty)
        with httpx.Client(trust_env=False, timeout=_TIMEOUT_S) as client:
            resp = client.put(url, content=body.model_dump_json())
        if resp.status_code != 200:
            raise HybridEvalError(f"the scripted backend refused the script of test {task.id!r}: "
                                  f"{resp.json().get('error', resp.status_code)}")
        self._registered.add(task.id)
