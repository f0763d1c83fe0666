"""Topological sorting with a deterministic tie-break and a cycle report."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping


class CycleError(ValueError):
    """Raised when the graph has a cycle; `cycle` names one of them (first node repeated at the end)."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("cycle detected: " + " -> ".join(cycle))
        self.cycle = cycle


def _normalise(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    deps: dict[str, set[str]] = {}
    for node, ds in graph.items():
        deps.setdefault(node, set()).update(ds)
        for d in deps[node]:
            deps.setdefault(d, set())
    return deps


def _find_cycle(deps: dict[str, set[str]], left: set[str]) -> list[str]:
    node = min(left)
    walk: list[str] = []
    seen: dict[str, int] = {}
    while node not in seen:
        seen[node] = len(walk)
        walk.append(node)
        node = min(d for d in deps[node] if d in left)
    cyc = walk[seen[node]:]
    start = cyc.index(min(cyc))
    cyc = cyc[start:] + cyc[:start]
    return cyc + [cyc[0]]


def _dependents(deps: dict[str, set[str]]) -> tuple[dict[str, list[str]], dict[str, int]]:
    users: dict[str, list[str]] = {n: [] for n in deps}
    missing = {n: len(ds) for n, ds in deps.items()}
    for n, ds in deps.items():
        for d in ds:
            users[d].append(n)
    return users, missing


def toposort(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """All nodes, dependencies first, alphabetically smallest ready node first."""
    deps = _normalise(graph)
    users, missing = _dependents(deps)
    ready = [n for n, k in missing.items() if k == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for u in users[n]:
            missing[u] -= 1
            if missing[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(deps):
        raise CycleError(_find_cycle(deps, set(deps) - set(order)))
    return order


def toposort_levels(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Nodes grouped by depth (level 0 = no dependencies), each level sorted."""
    deps = _normalise(graph)
    users, missing = _dependents(deps)
    level = sorted(n for n, k in missing.items() if k == 0)
    levels: list[list[str]] = []
    placed = 0
    while level:
        levels.append(level)
        placed += len(level)
        nxt = []
        for n in level:
            for u in users[n]:
                missing[u] -= 1
                if missing[u] == 0:
                    nxt.append(u)
        level = sorted(nxt)
    if placed != len(deps):
        done = {n for lv in levels for n in lv}
        raise CycleError(_find_cycle(deps, set(deps) - done))
    return levels
