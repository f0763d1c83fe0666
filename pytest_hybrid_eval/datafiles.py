"""Locate the versioned data folders (`router/`, `pricing/`) both in a checkout and in an installed wheel.

The wheel maps the repo-root folders into ``pytest_hybrid_eval/_data/`` (see pyproject), so an installed
plugin works outside the repository; in a checkout the folders are read where they live.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent


def data_dir(name: str) -> Path:
    """Return the directory of data folder ``name`` ("router" or "pricing")."""
    for candidate in (_PKG / "_data" / name, _REPO / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder {name!r} not found in the package or the checkout")


def data_path(name: str, *parts: str) -> Path:
    return data_dir(name).joinpath(*parts)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
