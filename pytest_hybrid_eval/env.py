"""The hardware/software manifest: printed by `hybrid-eval env` and embedded in every sweep.json.

It records *names* of API-key variables that are set, never their values.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from pytest_hybrid_eval import __version__
from pytest_hybrid_eval.config import SweepConfig

_PACKAGES = ["pytest", "pytest-xdist", "pydantic", "aiohttp", "httpx", "numpy", "scipy", "pandas", "matplotlib", "tiktoken"]
_KEY_VARS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "TOGETHER_API_KEY"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return 0.0


def hardware_ref() -> str:
    return f"{cpu_model()}|{os.cpu_count()}c|{ram_gib():g}GiB|{platform.system()}"


def git_sha(cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _reachable(url: str, timeout: float = 1.5) -> str:
    try:
        r = httpx.get(url.rstrip("/") + "/models", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})"
    return "reachable" if r.status_code < 500 else f"HTTP {r.status_code}"


def _agents() -> dict[str, str]:
    from pytest_hybrid_eval.agents.install import PINNED, installed_version

    return {name: installed_version(name) or f"not installed (pinned {spec[2]})" for name, spec in PINNED.items()}


def manifest(config: SweepConfig | None = None, probe_backends: bool = True) -> dict[str, Any]:
    from pytest_hybrid_eval.sandbox.select import available_kinds

    key_vars = set(_KEY_VARS)
    if config is not None:
        key_vars |= {m.api_key_env for m in (config.models.local, config.models.cloud) if m.api_key_env}
    backends: dict[str, str] = {}
    if config is not None:
        if config.backend == "scripted":
            backends = {"local": "scripted (in-process)", "cloud": "scripted (in-process)"}
        elif probe_backends:
            backends = {t: _reachable(m.base_url) for t, m in (("local", config.models.local), ("cloud", config.models.cloud))}
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": ram_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "package_version": __version__,
        "packages": _versions(),
        "sandbox_kinds": {k: (v or "available") for k, v in available_kinds().items()},
        "backends": backends,
        "api_key_vars_set": sorted(v for v in key_vars if os.environ.get(v)),
        "agents": _agents(),
        "hardware_ref": hardware_ref(),
    }
