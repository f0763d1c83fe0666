"""The fixtures ``hybrid_proxy`` and ``hybrid_cell``, and the hooks that make a plain test a benchmark cell.

``hybrid_cell`` is parametrized by the plugin over the sweep's strategies and seeds, so
``def test_x(hybrid_cell)`` runs once per (strategy, seed), like pytest-benchmark's ``benchmark`` fixture
runs a function: the test calls the model through ``hybrid_cell`` and asserts on the answer. When the test's
call phase ends, each cell it opened (``hybrid_cell``, or ``hybrid_proxy.cell``) becomes a row carried in
the report's user properties; the controller writes it to raw.jsonl like a task cell's row (plugin.py).
The proxy itself is the controller's (one for all xdist workers); these fixtures only reach it over HTTP.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from pytest_hybrid_eval.cell_fixture import (
    TASK_MARKER,
    TEST_CLASS,
    HybridCell,
    TestTask,
    cell_param_id,
    cell_row,
)
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.plugin import ROW_KEY, is_worker, marker_name, session_of
from pytest_hybrid_eval.proxy_fixture import OPENED, HybridProxy
from pytest_hybrid_eval.usage import CellUsage

_PROXY: pytest.StashKey[HybridProxy] = pytest.StashKey()
NOT_RUNNING = ("the routing proxy is not running in this run: hybrid_proxy and hybrid_cell work in tests "
               "under the sweep's task roots (tasks.roots, e.g. bench_suites)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{TASK_MARKER}(difficulty='medium', reference=None, decoy=None): "
                            "a hybrid_cell test's difficulty, and the answers the offline scripted model "
                            "chooses between")
    config.addinivalue_line("markers", f"{TEST_CLASS}: hybrid-eval test cell")


def _proxy(config: pytest.Config) -> HybridProxy | None:
    """This process's view of the proxy, or None when the plugin started none (nothing to benchmark)."""
    if _PROXY in config.stash:
        return config.stash[_PROXY]
    sess = session_of(config)
    if sess is None or not sess.proxy_url:
        return None
    if is_worker(config):
        scripted = config.workerinput.get("hybrid_scripted_url")
    else:
        scripted = sess.services.scripted_url if sess.services is not None else None
    proxy = config.stash[_PROXY] = HybridProxy(sess.proxy_url, sess.config.strategies, sess.config.seeds,
                                               scripted)
    return proxy


@pytest.fixture(scope="session")
def hybrid_proxy(pytestconfig: pytest.Config) -> HybridProxy:
    """The session's routing proxy: ``base_url(cell_id, strategy)``, ``usage(cell_id)``, ``decisions()``,
    ``cell(strategy)``."""
    proxy = _proxy(pytestconfig)
    if proxy is None:
        pytest.fail(NOT_RUNNING, pytrace=False)
    return proxy


@pytest.fixture
def hybrid_cell(request: pytest.FixtureRequest, hybrid_proxy: HybridProxy) -> HybridCell:
    """This test as one cell (the strategy and seed of this parametrization); its row is the test's outcome."""
    strategy, seed = request.param
    try:
        return hybrid_proxy.cell(strategy, seed, item=request.node)
    except HybridEvalError as exc:
        pytest.fail(str(exc), pytrace=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    sess = session_of(metafunc.config)
    if "hybrid_cell" not in metafunc.fixturenames or sess is None:
        return  # without a sweep the fixture itself says why it cannot run
    cfg = sess.config
    params = [pytest.param((s, n), id=cell_param_id(s, n),
                           marks=[getattr(pytest.mark, marker_name(s)), getattr(pytest.mark, TEST_CLASS)])
              for s in cfg.strategies for n in cfg.seeds]
    metafunc.parametrize("hybrid_cell", params, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two tests that would share a cell id (same name in two modules) would overwrite each other's rows."""
    if session_of(config) is None:
        return
    ids: Counter[str] = Counter()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "hybrid_cell" not in callspec.params:
            continue
        try:
            task = TestTask.of(item)
        except HybridEvalError as exc:
            raise pytest.UsageError(str(exc)) from None
        ids[f"{task.id}/{cell_param_id(*callspec.params['hybrid_cell'])}"] += 1
    twice = sorted(k.split("/")[0] for k, n in ids.items() if n > 1)
    if twice:
        raise pytest.UsageError(f"two tests share the task id {twice[0]!r} (a test cell's id is its test's name); "
                                "rename one of them")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """``hybrid_proxy.cell()`` opens cells for the test being run in this process."""
    proxy = _proxy(item.config)
    if proxy is not None:
        proxy.current = item
    try:
        return (yield)
    finally:
        if proxy is not None:
            proxy.current = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    cells = item.stash.get(OPENED, [])
    if call.when != "call" or report.skipped or not cells:
        return report
    rt = session_of(item.config).runtime
    for cell in cells:
        report.user_properties.append((ROW_KEY, _row_json(cell, report, rt.sweep_id, rt.provenance)))
    return report


def _row_json(cell: HybridCell, report: pytest.TestReport, sweep: str, provenance) -> str:
    """The cell's row; a ledger that cannot be read makes it an infra_error row, never a lost cell."""
    try:
        usage = cell.usage()
    except (HybridEvalError, httpx.HTTPError) as exc:
        row = cell_row(cell, report, CellUsage(cell_id=cell.id), sweep, provenance)
        row = row.model_copy(update={"passed": False, "tests_passed": 0, "error": "infra_error",
                                     "reason": f"the cell's usage could not be read: {exc}"[:500]})
        return row.model_dump_json()
    return cell_row(cell, report, usage, sweep, provenance).model_dump_json()
