"""A pytest plugin copied into the scoring tree as ``_hybrid_guard.py`` and loaded with ``-p`` first.

It runs in the candidate's process, so it is a tripwire, not a wall: it catches the common ways of
rewiring pytest and ends the run with exit code 86 before any report is written:

- every ``_pytest.*``/``pluggy.*`` module loaded when the guard starts (not a fixed list), the classes
  defined in them, ``builtins`` and what the report writer uses from ``os``: a replaced name is checked
  against the import-time snapshot, an *added* name (``_pytest.junitxml.open``) against the state at
  ``pytest_configure`` (trylast; what pytest's legacypath plugin sets there is accepted, nothing else);
- ``sys.meta_path``/``sys.path_hooks``, the class and ``__dict__`` of every import hook (an instance-level
  ``exec_module`` on the assertion rewriter), the bytecode settings, the excepthook, signal handlers;
- ``sys.modules``: pytest's and pluggy's entries, and for each test module: no module may wait under its
  name before pytest imports it (pytest would take it as it is), and after the import the module must be
  the real file's, loaded and rewritten by the assertion rewriter;
- the plugin manager (its attributes, hook callers, every ``HookImpl`` and its function) and the set of
  plugins; the test files. What it cannot see, the injected canary tests and the
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
import _pytest.pathlib
import pytest

GUARD_EXIT = 86
TEST_DIRS = ("tests", "hidden_tests")
#: module globals that pytest itself sets while a test runs (saved and restored around each item)
_PYTEST_SETS = frozenset({("_pytest.assertion.util", "_reprcompare"), ("_pytest.assertion.util", "_assertion_pass"),
                          ("_pytest.assertion.util", "_config")})  # fmt: skip
#: class flags pytest adds the first time it uses a class (nodes.Node._check_item_and_collector_diamond_inheritance)
_PYTEST_FLAGS = frozenset({"_pytest_diamond_inheritance_warning_shown"})


def _watched_modules():
    """Every pytest and pluggy module loaded when the guard starts (not a fixed list), and what the report
    writer and this guard use from the standard library."""
    mods = []
    for name, mod in sorted(sys.modules.items()):
        if not isinstance(mod, types.ModuleType):
            continue
        if name in ("pytest", "_pytest", "pluggy") or name.startswith(("pytest.", "_pytest.", "pluggy.")):
            mods.append(mod)
    return mods + [os, os.path, hashlib, signal, types]


_MODULES = _watched_modules()


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
_REWRITE_HOOKS = [m for m in sys.meta_path if isinstance(m, _pytest.assertion.rewrite.AssertionRewritingHook)]
_SYS = {"meta_path": list(sys.meta_path), "path_hooks": list(sys.path_hooks),
        "meta_types": [type(m) for m in sys.meta_path],
        "meta_dicts": [dict(getattr(m, "__dict__", {})) for m in sys.meta_path],
        "pycache_prefix": sys.pycache_prefix, "dont_write_bytecode": sys.dont_write_bytecode,
        "modules": {name: sys.modules[name] for name in sys.modules
                    if name.split(".")[0] in ("_pytest", "pluggy", "pytest", "builtins", "os", "json", "hashlib",
                                              "signal", "types", "posixpath")},
        "excepthook": sys.excepthook,
        "signals": {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM)}}  # fmt: skip
#: names added to a namespace later are compared with what it held at pytest_configure (pytest's own
#: legacypath plugin adds class attributes while configuring); replacements with the import-time snapshot
_state = {"plugins": None, "config": None, "added_base": None, "hookimpls": None, "callers": None,
          "manager": None}  # fmt: skip
_write = os.write
_exit = os._exit
_realpath = os.path.realpath
_getattr = getattr
_isinstance = isinstance
_type = type
_id = id


def _die(why):
    _write(2, ("\nHYBRID-GUARD: " + why + "\n").encode())
    _exit(GUARD_EXIT)


def _submodule(space, name, value):
    """A package gains an attribute for each submodule imported later; that is not tampering."""
    return _type(value) is types.ModuleType and _isinstance(space, types.ModuleType) and \
        sys.modules.get(space.__name__ + "." + name) is value


def _fingerprint(now):
    """Keys and value identities, compared in C (no ``__eq__`` of any value is called); the values are kept
    alive so that an id cannot be reused."""
    values = list(now.values())
    return tuple(now), tuple(map(_id, values)), values


_FAST = {}  # label -> the fingerprint of a state that passed the full check (the common case: unchanged)


def _check_namespaces():
    base = _state["added_base"]
    for label, space in _NAMESPACES:
        now = vars(space)
        fast = _FAST.get(label)
        if fast is not None and base is not None:
            keys, ids, _values = fast
            if len(now) == len(keys) and tuple(now) == keys and tuple(map(_id, now.values())) == ids:
                continue
        before = _SNAPSHOT[label]
        mod = label.partition(" ")[2]
        for name, value in before.items():
            if now.get(name, _check_namespaces) is not value and (mod, name) not in _PYTEST_SETS:
                _die("replaced: " + label + "." + name)
        if base is None and label != "builtins":
            continue  # before pytest_configure only builtins are checked for additions
        added = [n for n in now.keys() - (base[label] if base is not None else before.keys())
                 if not _submodule(space, n, now[n]) and not (n in _PYTEST_FLAGS and now[n] is True)]  # fmt: skip
        if added:
            _die("added to " + label + ": " + ", ".join(sorted(added))[:120])
        if base is not None:
            _FAST[label] = _fingerprint(now)


def _check_meta_path():
    if list(sys.meta_path) != _SYS["meta_path"] or list(sys.path_hooks) != _SYS["path_hooks"]:
        _die("an import hook was added or removed (sys.meta_path / sys.path_hooks)")
    for finder, kind, before in zip(_SYS["meta_path"], _SYS["meta_types"], _SYS["meta_dicts"], strict=True):
        if _type(finder) is not kind:
            _die("the class of an import hook was changed: " + kind.__name__)
        now = _getattr(finder, "__dict__", {})
        for name, value in now.items():
            old = before.get(name, _check_meta_path)
            if old is value:
                continue
            if old is _check_meta_path or callable(value) or callable(old):
                _die("an import hook was patched: " + kind.__name__ + "." + name)
        if any(name not in now for name in before):
            _die("an import hook was patched: " + kind.__name__)


def _check_sys():
    _check_meta_path()
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


_IMPL_SLOTS = ("function", "plugin", "plugin_name", "opts", "wrapper", "hookwrapper", "tryfirst", "trylast",
               "argnames", "kwargnames")  # fmt: skip


def _impl_state(impl):
    return tuple(_getattr(impl, slot, None) for slot in _IMPL_SLOTS)


def _callers(pm):
    return {name: caller for name, caller in vars(pm.hook).items() if hasattr(caller, "get_hookimpls")}


def _snapshot_hooks(config):
    pm = config.pluginmanager
    impls = {}
    callers = {}
    for name, caller in _callers(pm).items():
        callers[name] = (caller, _getattr(caller, "_hookexec", None), _getattr(caller, "_hookimpls", None))
        for impl in caller.get_hookimpls():
            impls[_id(impl)] = (impl, _impl_state(impl))
    _state["hookimpls"] = impls
    _state["callers"] = callers
    _state["manager"] = (dict(vars(pm)), _type(pm))


def _check_hooks(config):
    """Hook implementations (their functions), hook callers and the plugin manager are as snapshot; a hook
    implementation that appears later belongs to a conftest that pytest itself loaded."""
    pm = config.pluginmanager
    before, kind = _state["manager"]
    if _type(pm) is not kind:
        _die("the plugin manager's class was changed")
    now = vars(pm)
    for name, value in before.items():
        if now.get(name, _check_hooks) is not value:
            _die("plugin manager attribute replaced: " + name)
    if any(name not in before for name in now):
        _die("plugin manager attribute added")
    known = _state["hookimpls"]
    callers = _state["callers"]
    for name, caller in _callers(pm).items():
        old = callers.get(name)
        if old is not None and (old[0] is not caller or _getattr(caller, "_hookexec", None) is not old[1]
                                or _getattr(caller, "_hookimpls", None) is not old[2]):  # fmt: skip
            _die("hook caller replaced: " + name)
        for impl in caller.get_hookimpls():
            seen = known.get(_id(impl))
            if seen is not None and seen[0] is impl:
                if _impl_state(impl) != seen[1]:
                    _die("hook implementation patched: " + name)
                continue
            if not _known_conftest(_getattr(impl, "plugin", None), config):
                _die("hook implementation added at run time: " + name)
            known[_id(impl)] = (impl, _impl_state(impl))


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
        if _id(plugin) not in known and not _known_conftest(plugin, config):
            _die("plugin registered at run time: " + _type(plugin).__name__)
    _check_hooks(config)


def _module_names(path, config):
    """The names under which pytest (importlib mode) looks a test module up in sys.modules."""
    names = set()
    for find in (lambda: _pytest.pathlib.module_name_from_path(path, config.rootpath),
                 lambda: _pytest.pathlib.resolve_pkg_root_and_module_name(path)[1]):  # fmt: skip
        try:
            names.add(find())
        except Exception:  # noqa: BLE001, S112 - a name pytest cannot resolve is one it will not look up
            continue
    return names


def _genuine(module, path, name):
    """A test module pytest's own import produced: from the real file, through the assertion rewriter."""
    if _type(module) is not types.ModuleType:
        return False
    source = _getattr(module, "__file__", None)
    if not _isinstance(source, str) or _realpath(source) != _realpath(str(path)):
        return False
    if _REWRITE_HOOKS:
        spec = _getattr(module, "__spec__", None)
        if _getattr(spec, "loader", None) not in _REWRITE_HOOKS:
            return False
        if not any(name in _getattr(hook, "_rewritten_names", {}) for hook in _REWRITE_HOOKS):
            return False
    return True


def _from_pytest_configure(value):
    """What pytest's own plugins put on its classes while configuring (legacypath: ``Node.fspath``…)."""
    fn = value.fget if _isinstance(value, property) else value
    return _getattr(fn, "__module__", None) == "_pytest.legacypath"


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Accept what pytest's legacypath plugin set on its classes, then take the baseline for additions.
    Anything else added or replaced by now (candidate code imported by a conftest) is still reported."""
    _state["config"] = config
    for label, space in _NAMESPACES:
        before = _SNAPSHOT[label]
        for name, value in list(vars(space).items()):
            if before.get(name, _check_namespaces) is value:
                continue
            # legacypath's properties, and class-level state such as pytestPDB._config / _pluginmanager
            if _from_pytest_configure(value) or value is config or value is config.pluginmanager:
                before[name] = value
    _state["added_base"] = {label: set(_SNAPSHOT[label]) for label, _space in _NAMESPACES}
    _check_namespaces()


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    _check()
    _state["plugins"] = {_id(p) for p in session.config.pluginmanager.get_plugins()}
    _snapshot_hooks(session.config)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector):
    """Before pytest imports a test module, no module may wait in sys.modules under its name (pytest would
    take it as it is) unless pytest's own import made it; after, the module must be the real file's."""
    module_type = _isinstance(collector, pytest.Module)
    if module_type:
        _check()
        for name in _module_names(collector.path, collector.config):
            present = sys.modules.get(name)
            if present is not None and not _genuine(present, collector.path, name):
                _die("a module was placed in sys.modules under the name of a test file: " + name)
    report = yield
    if module_type:
        _check()
        module = collector.__dict__.get("_obj")
        if module is not None and not _genuine(module, collector.path, _getattr(module, "__name__", "")):
            _die("the test module is not the one imported from its file: " + str(collector.path))
    return report


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
    if report.when == "teardown":  # once per test; the report file is only written after the final check
        _check()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    _check()
    _check_files()
