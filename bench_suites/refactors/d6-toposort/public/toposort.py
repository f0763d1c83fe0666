"""Topological sorting with a deterministic tie-break and a cycle report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class CycleError(ValueError):
    """Raised when the graph has a cycle; `cycle` names one of them (first node repeated at the end)."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("cycle")
        self.cycle = cycle


def toposort(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """All nodes, dependencies first, alphabetically smallest ready node first."""
    return []


def toposort_levels(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Nodes grouped by depth (level 0 = no dependencies), each level sorted."""
    return []
