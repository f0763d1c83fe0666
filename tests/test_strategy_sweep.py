"""Every registered routing strategy in one sweep on the scripted backend: rows, cloud shares, summary, aux.

This is the end-to-end evidence that the strategies really route differently (issue "Routing", last
bullet of "What must be shown"): the built-in agent works four small tasks of different difficulties
and prompt sizes under each strategy, and the test checks that

- every cell has exactly one row;
- the per-strategy cloud share of tokens (cloud tokens over local + cloud + aux tokens, as the summary
  computes it) is 0 for always-local, 1 for always-cloud, and the hybrid strategies land apart from
  both ends and from each other, so routing is not a disguised constant;
- the terminal summary printed under "hybrid-eval:" states, per (class, agent, strategy) group, the
  same n / passed / errors (and cloud share) as a recount of raw.jsonl;
- strategies that consult the classifier (llm-classifier always, cascade near its threshold) carry
  that auxiliary call in the row: counted in ``calls.aux``, tokens in ``tokens.aux``, listed in the
  call record; strategies that never ask a classifier carry none.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from pytest_hybrid_eval.routing.strategies import strategy_names
from tests.test_plugin import rows, run, write_config, write_task

STRATEGIES = strategy_names()
SEEDS = (1, 2)
#: Tasks of each difficulty; the prompts grow with it and the hard one speaks the cloud vocabulary,
#: which is what the content-based strategies (rules, heuristic, kNN, cascade) react to.
TASKS = {
    "calc-easy": ("easy", "Implement add(a, b) and mul(a, b) in calc.py."),
    "calc-medium": ("medium", "Implement add(a, b) and mul(a, b) in calc.py. Both take ints or floats; "
                              "keep the module importable and do not print anything."),
    "calc-tricky": ("medium", "Fix add and mul in calc.py so the visible and the hidden tests pass: "
                              "negative numbers, zero and mixed int/float arguments must all work."),
    "calc-hard": ("hard", "Investigate the root cause of the wrong results in calc.py and redesign add and "
                          "mul; explain the trade-offs of the algorithm and its complexity, keeping the "
                          "design thread safety aware and backwards compatible across the codebase."),
}
AUX_STRATEGIES = {"llm-classifier", "cascade"}
NO_AUX_STRATEGIES = {"always-local", "always-cloud", "rules", "heuristic", "phase-aware", "escalate"}
SUMMARY_LINE = re.compile(r"^(?P<cls>\S+)\s+(?P<agent>\S+)\s+(?P<strategy>\S+)\s+(?P<tasks>\d+)\s+(?P<n>\d+)\s+(?P<passed>\d+)\s+"
                          r"\d+%\s+\[\d+%, \d+%\]\s+(?P<errors>\d+)\s+(?P<share>\d+%|-)\s+[\d.]+$")


@pytest.fixture
def sweep(pytester: pytest.Pytester) -> tuple[pytest.RunResult, list[dict]]:
    for task_id, (difficulty, prompt) in TASKS.items():
        write_task(pytester.path, task_id, difficulty=difficulty, prompt=f'"{prompt}"')
    write_config(pytester.path, strategies=f"[{', '.join(STRATEGIES)}]",
                 seeds=f"[{', '.join(map(str, SEEDS))}]")
    res = run(pytester, "-n", "2", "-p", "no:cacheprovider", "--hybrid-no-report")
    return res, rows(pytester.path)


def _summary(text: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """The group lines printed under the ``hybrid-eval:`` separator, keyed by (class, agent, strategy)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"^=+ hybrid-eval: ", line))
    groups = {}
    for line in lines[start + 1:]:
        if line.startswith("$/cell"):
            break
        m = SUMMARY_LINE.match(line)
        if m:
            groups[(m["cls"], m["agent"], m["strategy"])] = m.groupdict()
    return groups


def _total(usage: dict) -> int:
    """Tokens of a usage object as the summary counts them (rows store prompt and completion only)."""
    return usage["prompt"] + usage["completion"]


def _share(rs: list[dict]) -> float:
    """Cloud share of *routed* tokens, the one definition the summary and the analysis share (auxiliary
    classifier/embedding calls are priced by their own tier but are not routed work)."""
    cloud = sum(_total(r["tokens"]["cloud"]) for r in rs)
    total = cloud + sum(_total(r["tokens"]["local"]) for r in rs)
    return cloud / total


def test_every_strategy_routes_and_the_summary_matches_raw(sweep: tuple[pytest.RunResult, list[dict]]) -> None:
    res, out = sweep
    expected = sorted(f"{t}.builtin.{s}.s{n}" for t in TASKS for s in STRATEGIES for n in SEEDS)
    assert sorted(r["cell_id"] for r in out) == expected, "exactly one row per cell"
    outcomes = res.parseoutcomes()
    assert sum(outcomes.get(k, 0) for k in ("passed", "failed", "error")) == len(expected)

    by_strategy: dict[str, list[dict]] = defaultdict(list)
    for r in out:
        by_strategy[r["strategy"]].append(r)
    shares = {s: _share(rs) for s, rs in by_strategy.items()}
    assert shares["always-local"] == 0.0 and shares["always-cloud"] == 1.0, shares
    hybrid = {s: v for s, v in shares.items() if s not in ("always-local", "always-cloud")}
    between = {s: v for s, v in hybrid.items() if 0.0 < v < 1.0}
    assert len(between) >= 2, f"at least two hybrid strategies mix tiers: {shares}"
    assert len({round(v, 3) for v in hybrid.values()}) >= 3, f"hybrid strategies route differently: {shares}"

    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in out:
        groups[(r["task_class"], r["agent"], r["strategy"])].append(r)
    printed = _summary(res.stdout.str())
    assert set(printed) == set(groups), (sorted(printed), sorted(groups))
    for key, rs in groups.items():
        line = printed[key]
        assert int(line["n"]) == len(rs), key
        assert int(line["passed"]) == sum(r["passed"] for r in rs), key
        assert int(line["errors"]) == sum(r["error"] != "none" for r in rs), key
        assert line["share"] == f"{_share(rs):.0%}", key

    for r in out:
        aux = [a for rec in r["calls"]["records"] for a in rec["aux"]]
        assert r["calls"]["aux"] == len(aux), r["cell_id"]
        assert _total(r["tokens"]["aux"]) == sum(_total(a["usage"]) for a in aux), r["cell_id"]
        if r["strategy"] == "llm-classifier":
            # one classifier call per routed call, each answered by the scripted classifier
            assert len(aux) == len(r["calls"]["records"]) >= 1, r["cell_id"]
            assert all(a["kind"] == "classifier" and a["ok"] and _total(a["usage"]) > 0 for a in aux), aux
        if r["strategy"] in NO_AUX_STRATEGIES:
            assert not aux, (r["cell_id"], aux)
    cascade_aux = [a for r in by_strategy["cascade"] for rec in r["calls"]["records"] for a in rec["aux"]]
    assert cascade_aux and all(a["kind"] == "classifier" for a in cascade_aux), "cascade consulted its classifier"
    assert all(_total(r["tokens"]["aux"]) > 0 for s in AUX_STRATEGIES - {"cascade"} for r in by_strategy[s])
