"""pytest-hybrid-eval: every benchmark cell (task x agent x strategy x seed) is a pytest item."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load"]


def load(path):  # pragma: no cover - thin re-export, imported lazily to keep plugin start-up cheap
    """Load a sweep directory (or raw.jsonl) as a flat pandas DataFrame, one row per cell."""
    from pytest_hybrid_eval.analysis.frame import load as _load

    return _load(path)
