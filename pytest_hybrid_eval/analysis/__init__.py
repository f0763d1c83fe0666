"""Analysis of sweep results: flat frame, intervals, paired comparisons, decision matrix, charts, report.

``analyze`` is the entry point the CLI calls; library functions print nothing and return paths/objects.
"""

from __future__ import annotations

from pytest_hybrid_eval.analysis.frame import load
from pytest_hybrid_eval.analysis.report import analyze
from pytest_hybrid_eval.analysis.seed_format import summarize_seed

__all__ = ["analyze", "load", "summarize_seed"]
