"""Install the external agent CLIs (aider, mini-swe-agent, cline, opencode), each in its own place.

Why an installer of our own instead of "pip install aider-chat" next to the plugin:

- Each agent drags hundreds of MB of dependencies with conflicting pins (litellm, openai, tree-sitter…);
  one venv per Python agent and one npm prefix per Node agent keep them from breaking each other or the
  plugin's own environment.
- Versions live in one table (`PINNED`) and every row records the installed version, so two sweeps are
  comparable only when they ran the same agent build.
- Parallel xdist workers may all find an agent missing at once; a file lock per agent makes the first one
  install and the others wait and then see "already installed".
- A completion marker is written last, so an install interrupted half-way (Ctrl-C, full disk) is never
  mistaken for a usable one: the next `install()` wipes it and starts over.

Nothing here prints; callers (the CLI, test fixtures) decide what to show.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from email.parser import HeaderParser
from pathlib import Path
from typing import Literal

from filelock import FileLock

from pytest_hybrid_eval.errors import HybridEvalError

__all__ = [
    "EXECUTABLES",
    "PINNED",
    "InstallError",
    "agents_dir",
    "bin_dir",
    "executable",
    "install",
    "install_command",
    "installed_version",
    "is_pinned_installed",
]

Manager = Literal["pip", "npm"]

#: agent name -> (package manager, registry package name, pinned version). The one place for versions.
PINNED: dict[str, tuple[Manager, str, str]] = {
    "aider": ("pip", "aider-chat", "0.86.2"),
    "mini-swe-agent": ("pip", "mini-swe-agent", "2.4.6"),
    "cline": ("npm", "cline", "3.0.65"),
    "opencode": ("npm", "opencode-ai", "1.18.33"),
}

#: agent name -> the command its package installs (not always the agent name: mini-swe-agent ships `mini`).
EXECUTABLES: dict[str, str] = {
    "aider": "aider",
    "mini-swe-agent": "mini",
    "cline": "cline",
    "opencode": "opencode",
}

_MARKER = "install.json"
_LOCK_TIMEOUT_S = 3600.0  # a cold aider install takes ~2 min here; a slow mirror may take much longer
_INSTALL_TIMEOUT_S = 3000.0
_OUTPUT_TAIL = 2000


class InstallError(HybridEvalError):
    """An agent could not be installed; the message carries the tail of the package manager's output."""


def agents_dir() -> Path:
    """Root of all agent installs: ``$HYBRID_EVAL_AGENTS_DIR`` or ``~/.cache/pytest-hybrid-eval/agents``."""
    env = os.environ.get("HYBRID_EVAL_AGENTS_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "pytest-hybrid-eval" / "agents"


def _spec(name: str) -> tuple[Manager, str, str]:
    try:
        return PINNED[name]
    except KeyError:
        raise InstallError(f"no installer for agent {name!r}; installable agents: {', '.join(sorted(PINNED))}") from None


def install_command(name: str) -> str:
    """The shell command a user runs to install ``name`` (quoted in not_installed reasons)."""
    _spec(name)
    return f"hybrid-eval setup agents {name}"


def _root(name: str) -> Path:
    return agents_dir() / name


def _venv(name: str) -> Path:
    return _root(name) / "venv"


def _npm_prefix(name: str) -> Path:
    return _root(name) / "npm"


def bin_dir(name: str) -> Path:
    """Directory holding the agent's executables (put first on the agent's PATH)."""
    manager, _package, _version = _spec(name)
    if manager == "pip":
        return _venv(name) / "bin"
    return _npm_prefix(name) / "node_modules" / ".bin"


def _marker(name: str) -> Path:
    return _root(name) / _MARKER


def _pip_version(name: str, package: str) -> str | None:
    """Version from the venv's ``*.dist-info/METADATA`` (no interpreter start, so it is cheap)."""
    lib = _venv(name) / "lib"
    if not lib.is_dir():
        return None
    normalized = package.replace("-", "_").lower()
    for site in lib.glob("python*/site-packages"):
        for dist in site.glob("*.dist-info"):
            if dist.name.split("-", 1)[0].lower() != normalized:
                continue
            try:
                headers = HeaderParser().parsestr((dist / "METADATA").read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            version = headers.get("Version")
            if version:
                return version.strip()
    return None


def _npm_version(name: str, package: str) -> str | None:
    manifest = _npm_prefix(name) / "node_modules" / package / "package.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


def installed_version(name: str) -> str | None:
    """The installed version of ``name``, or None when it is absent or its install never completed."""
    manager, package, _version = _spec(name)
    if not _marker(name).is_file():
        return None
    return _pip_version(name, package) if manager == "pip" else _npm_version(name, package)


def executable(name: str) -> Path | None:
    """Path of the agent's command, or None when the agent is not (completely) installed."""
    if installed_version(name) is None:
        return None
    path = bin_dir(name) / EXECUTABLES[name]
    return path if path.is_file() and os.access(path, os.X_OK) else None


def is_pinned_installed(name: str) -> bool:
    """True when the installed build is exactly the pinned one (rows from other builds are not comparable)."""
    return executable(name) is not None and installed_version(name) == PINNED[name][2]


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=_INSTALL_TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise InstallError(f"cannot run {argv[0]!r}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise InstallError(f"{' '.join(argv[:3])} … did not finish within {_INSTALL_TIMEOUT_S:.0f} s") from None
    if proc.returncode != 0:
        tail = proc.stdout.decode("utf-8", errors="replace")[-_OUTPUT_TAIL:]
        raise InstallError(f"{' '.join(argv[:4])} … exited {proc.returncode}:\n{tail}")


def _install_env() -> dict[str, str]:
    """The user's environment (registry config, proxy, certificates) minus noise-making update checks."""
    env = dict(os.environ)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["NPM_CONFIG_UPDATE_NOTIFIER"] = "false"
    env["NPM_CONFIG_FUND"] = "false"
    env["NPM_CONFIG_AUDIT"] = "false"
    env.pop("PYTHONPATH", None)  # the agent's venv must not see the plugin's packages
    env.pop("VIRTUAL_ENV", None)
    return env


def _install_pip(name: str, package: str, version: str) -> None:
    venv = _venv(name)
    env = _install_env()
    # The current interpreter, so the agent runs on the same Python the plugin was tested with.
    _run([sys.executable, "-m", "venv", str(venv)], cwd=_root(name), env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input", "--quiet",
          f"{package}=={version}"], cwd=_root(name), env=env)


def _install_npm(name: str, package: str, version: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError(f"{name} needs Node.js and npm (not found on PATH)")
    prefix = _npm_prefix(name)
    prefix.mkdir(parents=True, exist_ok=True)
    _run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--save-exact",
          "--loglevel=error", f"{package}@{version}"], cwd=prefix, env=_install_env())


def install(name: str) -> str:
    """Install the pinned build of ``name`` unless it is already there; returns what it did.

    Idempotent and safe to call from several processes at once (file lock per agent). A different
    installed version, or an install that never completed, is removed and replaced.
    """
    manager, package, version = _spec(name)
    root_dir = agents_dir()
    root_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root_dir / f"{name}.lock"), timeout=_LOCK_TIMEOUT_S):
        if is_pinned_installed(name):
            return f"already installed: {name} {version} in {_root(name)}"
        root = _root(name)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        start = time.monotonic()
        try:
            if manager == "pip":
                _install_pip(name, package, version)
            else:
                _install_npm(name, package, version)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        found = (_pip_version(name, package) if manager == "pip" else _npm_version(name, package))
        if found != version:
            shutil.rmtree(root, ignore_errors=True)
            raise InstallError(f"installing {package}=={version} left version {found!r} behind")
        elapsed = time.monotonic() - start
        _marker(name).write_text(json.dumps({"name": name, "package": package, "version": version,
                                             "manager": manager, "seconds": round(elapsed, 1),
                                             "python": sys.version.split()[0]}) + "\n")
        if executable(name) is None:
            raise InstallError(f"{package} {version} installed but {bin_dir(name) / EXECUTABLES[name]} is missing")
        return f"installed {name} {version} in {root} ({elapsed:.0f} s)"
