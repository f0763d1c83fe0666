"""The cloud spending cap: a running total of what the cloud tier has cost, checked before each cloud call.

Rows never store cost (prices change; analysis re-prices from tokens), but a cap has to be enforced while
the sweep runs, so the proxy prices each cloud call with the configured table as the call completes. The
check happens before a cloud call is sent and the charge after it completes, so calls already in flight
when the cap is reached still finish and are charged: the overshoot is bounded by the calls in flight,
which is the honest behaviour (cancelling a paid call half-way would waste the money anyway).

The cap is per sweep, not per process: a resumed or rerun sweep starts from what the out dir's rows
already spent (``recorded_spend``: every row, error rows and superseded retries included, priced the same
way), so N reruns under a cap spend at most the cap plus one overshoot in total. The overshoot is the
cloud calls in flight when the cap is crossed: at most one call per concurrent cell (``-n N``: N calls),
each costing no more than its own prompt and ``max_tokens`` completion.

The proxy's handlers run on one event loop, but the plugin and tests read the total from other threads,
hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.pricing import PricingTable, load_table
from pytest_hybrid_eval.usage import CallRecord

if TYPE_CHECKING:
    from pytest_hybrid_eval.results import Row

#: The error string of a refused call, in its CallRecord and in the JSON error body's ``type``.
BUDGET_EXHAUSTED = "budget_exhausted"


class BudgetGuard:
    """Running cloud spend in USD against an optional cap (``cap_usd`` None = count, never refuse)."""

    def __init__(self, cap_usd: float | None, table: PricingTable, scenario: str) -> None:
        table.resolve(scenario)  # an unknown scenario fails at startup, not at the first cloud call
        self.cap_usd = cap_usd
        self._table = table
        self._scenario = scenario
        self._lock = threading.Lock()
        self._spent = 0.0
        self._refused = 0

    @classmethod
    def from_config(cls, config: SweepConfig) -> BudgetGuard:
        return cls(config.budget.max_cloud_usd, load_table(config.pricing.table), config.pricing.primary)

    def record_cost(self, rec: CallRecord) -> float:
        """USD a finished call cost on the cloud tier: its own tokens when it ran there, plus cloud aux calls."""
        cost = self._table.cost(rec.usage, self._scenario) if rec.choice == "cloud" and rec.status != 402 else 0.0
        for aux in rec.aux:
            if aux.tier == "cloud":
                cost += self._table.cost(aux.usage, self._scenario)
        return cost

    def charge(self, rec: CallRecord) -> float:
        """Add a finished call's cloud cost to the total; returns that cost."""
        cost = self.record_cost(rec)
        if cost:
            with self._lock:
                self._spent += cost
        return cost

    def exhausted(self) -> bool:
        """True once the spend has reached the cap (never without a cap)."""
        if self.cap_usd is None:
            return False
        with self._lock:
            return self._spent >= self.cap_usd

    def refuse(self) -> str:
        """Count a refused cloud call and return the message the client gets."""
        with self._lock:
            self._refused += 1
            spent = self._spent
        return (f"cloud budget of ${self.cap_usd:.4f} exhausted (${spent:.4f} spent); "
                "raise budget.max_cloud_usd")

    def start_from(self, spent_usd: float) -> None:
        """Carry the spend a sweep recorded before this process (set once, before any cell runs)."""
        with self._lock:
            self._spent = spent_usd

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /{secret}/budget`` answers."""
        with self._lock:
            spent, refused = self._spent, self._refused
        return {"spent_usd": round(spent, 6), "cap_usd": self.cap_usd,
                "exhausted": self.cap_usd is not None and spent >= self.cap_usd,
                "refused_calls": refused, "scenario": self._scenario}


def recorded_spend(rows: Iterable[Row], table: PricingTable, scenario: str) -> float:
    """USD the given rows spent on the cloud tier under ``scenario``: what a resumed sweep starts from.

    Priced as the guard prices calls (cloud tokens plus cloud-tier auxiliary calls; refused calls carry no
    tokens), so the carried total and the live total add up.
    """
    return sum(table.row_cost(r, scenario) for r in rows)
