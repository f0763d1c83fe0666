"""A pytest plugin copied into the scoring tree as ``_hybrid_guard.py`` and loaded with ``-p`` first.

It runs in the candidate's process, so it is a tripwire, not a wall: it catches the common ways of
rewiring pytest (replacing a function of pytest or pluggy, registering a plugin, poisoning builtins or
``sys.modules``, adding an import hook, redirecting the bytecode cache, changing a test file) and ends the
run with exit code 86 before any report is written. What it cannot see, the injected canary tests and the
harness's own checks of the report and the exit status catch (``scoring.pytest_scorer``). It never
exempts a plugin by its file name: only conftest modules that pytest itself loaded from a file that was
in the tree before any candidate code ran are accepted.

The harness never imports this file; it only copies it.
"""

import builtins
import hashlib
import os
import signal
import sys
import types

import _pytest.assertion.rewrite
import _pytest.fixtures
import _pytest.junitxml
import _pytest.main
import _pytest.nodes
import _pytest.outcomes
import _pytest.python
import _pytest.reports
import _pytest.runner
import _pytest.skipping
import pluggy._callers
import pluggy._hooks
import pluggy._manager
import pytest

GUARD_EXIT = 86
TEST_DIRS = ("tests", "hidden_tests")
_MODULES = (_pytest.assertion.rewrite, _pytest.fixtures, _pytest.junitxml, _pytest.main, _pytest.nodes,
            _pytest.outcomes, _pytest.python, _pytest.reports, _pytest.runner, _pytest.skipping,
            pluggy._callers, pluggy._hooks, pluggy._manager, pytest, os, os.path, hashlib)  # fmt: skip


def _namespaces():
    """Every module above and every class defined in it: their attributes are what we watch."""
    spaces = []
    for mod in _MODULES:
        spaces.append(("module " + mod.__name__, mod))
        for value in list(vars(mod).values()):
            if isinstance(value, type) and getattr(value, "__module__", None) == mod.__name__:
                spaces.append(("class " + mod.__name__ + "." + value.__qualname__, value))
    spaces.append(("builtins", builtins))
    return spaces


def _snapshot():
    return {label: dict(vars(space)) for label, space in _namespaces()}


def _files():
    """Every entry under the test directories (bytecode caches included) and every conftest.py."""
    seen = {}
    for top in TEST_DIRS:
        for root, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names) + [d + "/" for d in dirs]:
                path = os.path.join(root, name)
                if name.endswith("/"):
                    seen[path] = b"<dir>"
                    continue
                with open(path, "rb") as fh:
                    seen[path] = fh.read()
    return seen


def _conftests():
    found = set()
    for root, dirs, names in os.walk("."):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if "conftest.py" in names:
            found.add(os.path.realpath(os.path.join(root, "conftest.py")))
    return found


_NAMESPACES = _namespaces()
_SNAPSHOT = _snapshot()
_FILES = _files()
_CONFTESTS = _conftests()
_SYS = {"meta_path": list(sys.meta_path), "path_hooks": list(sys.path_hooks),
        "pycache_prefix": sys.pycache_prefix, "dont_write_bytecode": sys.dont_write_bytecode,
        "modules": {name: sys.modules[name] for name in sys.modules
                    if name.split(".")[0] in ("_pytest", "pluggy", "pytest", "builtins", "os", "json")},
        "excepthook": sys.excepthook,
        "signals": {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM)}}  # fmt: skip
_state = {"plugins": None, "config": None}
_write = os.write
_exit = os._exit


def _die(why):
    _write(2, ("\nHYBRID-GUARD: " + why + "\n").encode())
    _exit(GUARD_EXIT)


def _check_namespaces():
    for label, space in _NAMESPACES:
        now = vars(space)
        before = _SNAPSHOT[label]
        for name, value in before.items():
            if now.get(name, _check_namespaces) is not value:
                _die("replaced: " + label + "." + name)
        if label == "builtins":  # pytest's own plugins add class attributes at configure; nothing adds builtins
            added = set(now) - set(before)
            if added:
                _die("added to " + label + ": " + ", ".join(sorted(added))[:120])


def _check_sys():
    if list(sys.meta_path) != _SYS["meta_path"] or list(sys.path_hooks) != _SYS["path_hooks"]:
        _die("an import hook was added or removed (sys.meta_path / sys.path_hooks)")
    if sys.pycache_prefix != _SYS["pycache_prefix"] or sys.dont_write_bytecode != _SYS["dont_write_bytecode"]:
        _die("the bytecode cache settings were changed")
    for name, module in _SYS["modules"].items():
        if sys.modules.get(name) is not module:
            _die("sys.modules entry replaced: " + name)
    if sys.excepthook is not _SYS["excepthook"]:
        _die("sys.excepthook replaced")
    for signum, handler in _SYS["signals"].items():
        if signal.getsignal(signum) is not handler:
            _die("a signal handler was installed")


def _check_files():
    try:
        same = _files() == _FILES
    except OSError:
        same = False
    if not same:
        _die("the test files were changed during the run")


def _known_conftest(plugin, config):
    if type(plugin) is not types.ModuleType:
        return False
    source = getattr(plugin, "__file__", None)
    if not isinstance(source, str) or os.path.realpath(source) not in _CONFTESTS:
        return False
    if sys.modules.get(plugin.__name__) is not plugin:
        return False
    return plugin in getattr(config.pluginmanager, "_conftest_plugins", ())


def _check():
    _check_namespaces()
    _check_sys()
    known = _state["plugins"]
    config = _state["config"]
    if known is None or config is None:
        return
    for plugin in config.pluginmanager.get_plugins():
        if id(plugin) not in known and not _known_conftest(plugin, config):
            _die("plugin registered at run time: " + type(plugin).__name__)


def pytest_configure(config):
    _state["config"] = config


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    _check()
    _state["plugins"] = {id(p) for p in session.config.pluginmanager.get_plugins()}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    _check()
    _check_files()
    out = os.environ.get("HYBRID_COLLECT_OUT")
    if out:
        import json

        with open(out, "w", encoding="utf-8") as fh:
            json.dump([item.nodeid for item in session.items], fh)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    _check()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    _check()
    _check_files()
