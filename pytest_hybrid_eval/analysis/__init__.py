"""Analysis of sweep results: flat frame, intervals, paired comparisons, decision matrix, charts, report.

``analyze`` is the entry point the CLI calls; library functions print nothing and return paths/objects.
"""

from __future__ import annotations

from pytest_hybrid_eval.analysis.frame import load
from pytest_hybrid_eval.analysis.hybrid_coding_eval_summary import summarize_hybrid_coding_eval
from pytest_hybrid_eval.analysis.report import analyze

__all__ = ["analyze", "load", "summarize_hybrid_coding_eval"]
