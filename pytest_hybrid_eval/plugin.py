"""pytest glue: options, collection of task.yaml files into cell items, services, rows, summary.

Everything of substance lives in other modules; this file only wires pytest's hooks to them. The
fixtures ``hybrid_proxy`` and ``hybrid_cell`` (a user's test as a cell) are the plugin module ``fixtures``,
loaded with this one.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from pytest_hybrid_eval import hookspecs
from pytest_hybrid_eval.cells import Cell, expand
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.options import add_options, read_options, retry_errors
from pytest_hybrid_eval.results import Row
from pytest_hybrid_eval.tasks.model import TASK_FILE, Task

_TASK_PARTS = {"public", "tests", "hidden", "reference", "decoy"}
ROW_KEY = "hybrid_row"  # a row in a report's user properties, for the controller to write
_RECORDED_KEY = "hybrid_recorded"
_STASH: pytest.StashKey[object] = pytest.StashKey()
pytest_plugins = ["pytest_hybrid_eval.fixtures"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def session_of(config: pytest.Config):
    """This run's SweepSession, or None when the run benchmarks nothing (no proxy was started)."""
    return config.stash.get(_STASH, None)


def _targets_tasks(config: pytest.Config, roots: list[Path]) -> bool:
    """Does this run collect anything under a task root? (Decides whether to start the proxy.)"""
    for arg in config.args:
        p = Path(str(arg).split("::")[0])
        p = (p if p.is_absolute() else Path(config.invocation_params.dir) / p).resolve()
        for root in roots:
            if p.is_relative_to(root) or (root.is_relative_to(p) and root.exists()):
                return True
    return False


def _resolve_config_path(path: str | None, config: pytest.Config) -> str | None:
    if not path or Path(path).is_absolute():
        return path
    for base in (Path(config.invocation_params.dir), config.rootpath):
        if (base / path).exists():
            return str(base / path)
    return str(Path(config.invocation_params.dir) / path)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from pytest_hybrid_eval.config import build_config

    path, flags, overrides = read_options(config)
    try:
        sweep = build_config(_resolve_config_path(path, config), overrides, flags)
    except HybridEvalError as exc:
        raise pytest.UsageError(str(exc)) from None
    roots = [(Path(r) if Path(r).is_absolute() else config.rootpath / r).resolve() for r in sweep.tasks.roots]
    extra = [Path(p).resolve() for ps in config.hook.pytest_hybrid_task_roots(sweep=sweep, rootdir=config.rootpath)
             for p in (ps or [])]
    roots += [p for p in extra if p not in roots]
    if not _targets_tasks(config, roots):
        return  # this run benchmarks nothing: stay out of the way (no proxy, no heavy imports)

    from pytest_hybrid_eval.agents.registry import register_agent
    from pytest_hybrid_eval.routing.strategies import register
    from pytest_hybrid_eval.session import SweepSession

    config.hook.pytest_hybrid_register(agents=register_agent, strategies=register)
    try:
        sess = SweepSession(sweep, config.rootpath, is_controller=not is_worker(config), roots=roots)
        families = {t.family for t in sess.tasks.values()}
    except HybridEvalError as exc:
        raise pytest.UsageError(str(exc)) from None
    for name in {*sweep.agents, *sweep.strategies, "puzzles", "refactors", "real_prs", *families}:
        config.addinivalue_line("markers", f"{marker_name(name)}: hybrid-eval cell marker")
    config.stash[_STASH] = sess
    rerun = config.getoption("hybrid_rerun") or config.getoption("lf", False)
    try:
        if not is_worker(config):
            # one run per out dir, taken before any row is read or written; carries the sweep's spend
            sess.claim_out_dir(check_budget=not config.getoption("collectonly"))
        sess.load_recorded(enabled=not rerun, retry_errors=retry_errors(config))
    except HybridEvalError as exc:
        raise pytest.UsageError(str(exc)) from None
    if is_worker(config):
        sess.proxy_url = config.workerinput["hybrid_proxy_url"]
        return
    try:
        sess.sandbox  # noqa: B018 - an unavailable sandbox.kind is a usage error, before any service starts
        sess.start()
    except HybridEvalError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(_Controller(sess), "hybrid-eval-controller")
    _stop_on_sigterm(config)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM behaves like Ctrl-C: in-flight cells stop, finished rows stay, the summary still prints."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    config.add_cleanup(lambda: signal.signal(signal.SIGTERM, previous))


class _Controller:
    """Hooks that only the controller runs: hand the proxy to workers, write rows, print the summary."""

    def __init__(self, sess) -> None:
        self.sess = sess
        self.write_error: str | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        node.workerinput["hybrid_proxy_url"] = self.sess.proxy_url
        # test cells register their scripted answers there (fixtures; None unless the backend is scripted)
        node.workerinput["hybrid_scripted_url"] = self.sess.services.scripted_url

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        recorded = any(k == _RECORDED_KEY for k, _ in report.user_properties)
        for payload in [v for k, v in report.user_properties if k == ROW_KEY]:  # a test may open several cells
            row = Row.model_validate_json(payload)
            if recorded:
                self.sess.recorded_seen.append(row)
            else:
                self._write(row)

    def _write(self, row: Row) -> None:
        try:
            self.sess.write_row(row)
        except HybridEvalError as exc:  # the out dir filled up or turned read-only mid-sweep
            self._stop_writing(str(exc))
            return
        self.sess_config.hook.pytest_hybrid_row_written(row=row, path=self.sess.writer.path)
        budget = self.sess.budget_state()
        if budget and budget["exhausted"] and not self.session.shouldstop:
            self.session.shouldstop = (f"cloud budget exhausted: ${budget['spent_usd']:.4f} spent of "
                                       f"${budget['cap_usd']:.4f} (budget.max_cloud_usd)")

    def _stop_writing(self, message: str) -> None:
        """A row that cannot be written stops the sweep with one line (no half row stays in the file)."""
        self.write_error = message
        if not self.session.shouldstop:
            self.session.shouldstop = message

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.sess_config = session.config
        self.session = session

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.write_error:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config: pytest.Config) -> None:
        from pytest_hybrid_eval.summary import write_summary

        if self.write_error:
            terminalreporter.write_line(f"rows not written: {self.write_error}", red=True)
        report = not config.getoption("hybrid_no_report") and not self.write_error
        write_summary(terminalreporter, self.sess, report=report)


def pytest_unconfigure(config: pytest.Config) -> None:
    sess = session_of(config)
    if sess is not None:
        sess.stop()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Never collect a task's own files (its visible/hidden tests, reference) as ordinary tests."""
    if collection_path.name in _TASK_PARTS and (collection_path.parent / TASK_FILE).is_file():
        return True
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    sess = session_of(parent.config)
    if sess is None or file_path.name != TASK_FILE or not sess.owns(file_path):
        return None
    return TaskFile.from_parent(parent, path=file_path)


def marker_name(name: str) -> str:
    return name.replace("-", "_")


class TaskFile(pytest.File):
    def collect(self):
        sess = session_of(self.config)
        task = next((t for t in sess.tasks.values() if t.root == self.path.parent.resolve()), None)
        if task is None or not sess.selected(task):
            return
        cfg = sess.config
        for cell in expand(task.id, cfg.agents, cfg.strategies, cfg.seeds):
            item = CellItem.from_parent(self, name=cell.item_name, cell=cell, task=task)
            for m in (task.task_class, task.family, cell.agent, cell.strategy):
                item.add_marker(marker_name(m))
            yield item


class CellFailed(Exception):
    def __init__(self, row: Row) -> None:
        super().__init__(row.cell_id)
        self.row = row


class CellItem(pytest.Item):
    def __init__(self, *, cell: Cell, task: Task, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cell = cell
        self.task = task

    def runtest(self) -> None:
        from pytest_hybrid_eval.execute import run_cell

        sess = session_of(self.config)
        recorded = sess.recorded.get(self.cell.id)
        if recorded is not None:
            # resume: the cell already has a finished row; report its outcome without running it again
            row = recorded
            self.user_properties.append((_RECORDED_KEY, "1"))
        else:
            row = run_cell(self.cell, self.task, sess.runtime)
        self.user_properties.append((ROW_KEY, row.model_dump_json()))
        if not row.passed:
            raise CellFailed(row)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CellFailed):
            r = excinfo.value.row
            what = "failed" if r.error == "none" else f"error: {r.error}"
            reason = f" — {r.reason}" if r.reason else ""
            return f"cell {r.cell_id} {what}: {r.tests_passed}/{r.tests_total} tests passed{reason}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"cell {self.cell.id}"
