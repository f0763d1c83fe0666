"""Hooks other plugins (or a conftest) implement to extend a sweep without forking it."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_hybrid_register(agents, strategies) -> None:
    """Register extra agents or strategies.

    ``agents(name, factory)`` adds an agent (factory returns an object implementing the Agent protocol);
    ``strategies(name)`` returns the class decorator that registers a routing strategy.
    """


@hookspec
def pytest_hybrid_task_roots(sweep, rootdir):
    """Return extra task roots (directories of task folders) for this sweep, e.g. tasks materialised from
    another source. Each returned directory is searched for task.yaml exactly like ``tasks.roots``.

    ``sweep`` is the resolved SweepConfig, ``rootdir`` pytest's rootdir. Return a list of paths (or None).
    """


@hookspec
def pytest_hybrid_row_written(row, path) -> None:
    """Called in the controller after a cell's row was durably appended to ``path`` (raw.jsonl)."""
