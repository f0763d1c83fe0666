"""User-facing errors: one line that names the problem and the fix, never a traceback."""

from __future__ import annotations


class HybridEvalError(Exception):
    """An error caused by user input (config, task, option, pricing table, results file).

    The plugin turns it into ``pytest.UsageError`` and the CLI into a one-line message with exit
    code 2, so users see what to fix instead of a stack trace.
    """


class ConfigError(HybridEvalError):
    pass


class TaskError(HybridEvalError):
    pass


class PricingError(HybridEvalError):
    pass


class ResultsError(HybridEvalError):
    pass
