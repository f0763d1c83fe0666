"""The recommendation rule, as a pure function of each strategy's pass rate, its cost and pairwise bounds.

``decision_matrix`` applies it to a sweep's rows; ``analysis.rule_check`` applies it to simulated sweeps
(for the power table and ``benchmarks/decision_error.py``), so the error rates and power printed there
are those of this very function.

The error it controls: recommending a strategy when a *costlier* one is truly better by more than the
margin (paying less for a real loss of quality). The earlier rule tested only the strategies cheaper than
the best point estimate; when a cheaper, truly worse strategy happened to have the highest observed rate
it was recommended untested ("no strategy is cheaper"): 25% of the time at 36 tasks and a true gap of
7 points. Here:

1. ``best`` = the highest pass rate (ties: the cheaper).
2. A strategy is *shown non-inferior* when the one-sided lower bound of its paired difference is above
   −margin against every strictly costlier strategy and against ``best``. Each recommendation so backed
   is an intersection of tests (all must pass), and the family over the k − 1 strategies that can be
   backed this way is held by Bonferroni (one-sided level α / (k − 1) per bound), so P(recommending a
   strategy that a costlier one beats by more than the margin) ≤ α.
3. The cheapest strategy shown non-inferior is recommended (``evidence`` true).
4. Otherwise nothing is backed: the group says so (``evidence`` false) and recommends ``best``, the best
   point estimate — unless every strategy cheaper than ``best`` is shown worse (upper bound below 0 at
   the same level) and none is costlier, which is a passed test too (``evidence`` true).

Why step 4 does not move to a costlier strategy when ``best`` is a cheap one that is not backed: that
would recommend a route that *looks* worse and costs more (on hybrid-coding-eval's v1 dataset, 0.90 at
$0.036/cell over 1.00 at $0.010), and with a few tasks almost any such route is "not shown worse". A
recommendation without evidence is the best point estimate, labelled as such; the error the rule controls
is a recommendation *with* evidence, and ``benchmarks/decision_error.py`` measures both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

ALPHA = 0.05

#: A bound of x − y: ``estimate``, ``lo`` and ``hi``, each end one-sided at ``family_conf``.
Bound = Mapping[str, float]
BoundFn = Callable[[str, str], Bound | None]


@dataclass(frozen=True)
class Arm:
    """One strategy of a decision group: its name, pass rate and mean cost per cell."""

    name: str
    rate: float
    cost: float


@dataclass(frozen=True)
class Choice:
    """What the rule decided, and on what: ``basis`` is one of ``non-inferior``, ``shown-better``,
    ``fallback`` (nothing backed: the default) or ``only-strategy``."""

    best: str
    recommended: str
    evidence: bool
    basis: str
    refs: dict[str, list[str]] = field(default_factory=dict)
    non_inferior: dict[str, bool] = field(default_factory=dict)


def family_conf(n_arms: int, alpha: float = ALPHA) -> float:
    """One-sided confidence of each bound: Bonferroni over the k − 1 strategies that can be backed."""
    return 1 - alpha / max(1, n_arms - 1)


def costlier(a: Arm, b: Arm) -> bool:
    """Whether ``b`` costs strictly more than ``a`` (equal costs, e.g. two local-only routes, are not)."""
    return b.cost > a.cost + 1e-12 * max(1.0, abs(a.cost))


def best_arm(arms: Sequence[Arm]) -> Arm:
    """The highest pass rate; ties go to the cheaper, then to the earlier in ``arms``."""
    return min(enumerate(arms), key=lambda ia: (-ia[1].rate, ia[1].cost, ia[0]))[1]


def references(arm: Arm, arms: Sequence[Arm], best: Arm) -> list[Arm]:
    """The strategies ``arm`` must be shown non-inferior to: every costlier one, and ``best``."""
    return [b for b in arms if b.name != arm.name and (costlier(arm, b) or b.name == best.name)]


def binding(arm: Arm, refs: Sequence[Arm], bound: BoundFn) -> tuple[str, Bound] | None:
    """The reference with the lowest lower bound (the one that decides), or None if one has no pairs."""
    found = [(r.name, bound(arm.name, r.name)) for r in refs]
    if not found or any(b is None for _, b in found):
        return None
    name, b = min(found, key=lambda nb: nb[1]["lo"])  # type: ignore[index]
    return name, b  # type: ignore[return-value]


def choose(arms: Sequence[Arm], bound: BoundFn, margin: float) -> Choice:
    """Apply the rule (see the module text) to one decision group."""
    best = best_arm(arms)
    refs = {a.name: references(a, arms, best) for a in arms}
    ni: dict[str, bool] = {}
    for a in arms:
        b = binding(a, refs[a.name], bound)
        same_cost_better = any(o.rate > a.rate and not costlier(a, o) and not costlier(o, a) for o in arms)
        ni[a.name] = b is not None and b[1]["lo"] > -margin and not same_cost_better
    names = {a: [r.name for r in refs[a]] for a in refs}
    eligible = [a for a in arms if ni[a.name]]
    if eligible:
        rec = min(eligible, key=lambda a: (a.cost, -a.rate))
        return Choice(best.name, rec.name, True, "non-inferior", names, ni)
    if len(arms) == 1:
        return Choice(best.name, best.name, False, "only-strategy", names, ni)
    if any(costlier(best, a) for a in arms):
        return Choice(best.name, best.name, False, "fallback", names, ni)
    cheaper = [a for a in arms if costlier(a, best)]
    shown = [bound(a.name, best.name) for a in cheaper]
    better = bool(cheaper) and all(s is not None and s["hi"] < 0 for s in shown)
    return Choice(best.name, best.name, better, "shown-better" if better else "fallback", names, ni)
