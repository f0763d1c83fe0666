"""One routed call while it is in flight: the facts the proxy gathers, turned into one CallRecord.

Everything the proxy learns about a call (decision, upstream status, retries, usage, timing, errors)
is written here as it happens and becomes exactly one CallRecord in the ledger (``RoutingProxy.finish``).
Timing: ``ttft_ms`` and ``total_ms`` run from the moment the proxy holds the request body, so they
include decide time and retries, as the agent experiences them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pytest_hybrid_eval.routing.redact import Redactor
from pytest_hybrid_eval.routing.strategies import Decision
from pytest_hybrid_eval.usage import AuxCall, CallRecord, TokenCounts

#: Ledger key of calls made without a cell in the path (standalone use); real cell ids contain dots.
STANDALONE_CELL = "standalone"
#: Error prefix of a call whose 200 reply was not well-formed (relayed unchanged, recorded as failed).
MALFORMED_REPLY = "malformed upstream reply"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def ms(since: float) -> float:
    """Milliseconds since the ``time.perf_counter()`` value ``since``."""
    return round((time.perf_counter() - since) * 1000.0, 3)


@dataclass
class CallState:
    """Mutable facts of one call in flight; turned into a CallRecord exactly once."""

    cell_id: str
    call_index: int
    strategy: str
    stream: bool
    started_at: str
    t0: float
    choice: str = "local"
    decision: Decision | None = None
    forced: bool = False
    decide_ms: float = 0.0
    backend_kind: str = ""
    model: str = ""
    status: int = 0
    error: str | None = None
    retries: int = 0
    usage: TokenCounts | None = None
    usage_source: str = "none"
    ttft_ms: float | None = None
    aux: list[AuxCall] = field(default_factory=list)
    extra_features: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None
    recorded: bool = False

    def first_byte(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = ms(self.t0)

    def to_record(self, redact: Redactor) -> CallRecord:
        """The record, with every free-text field (error, reason, aux errors) passed through ``redact``."""
        d = self.decision
        aux = [a.model_copy(update={"error": redact.text(a.error)}) if a.error else a for a in self.aux]
        return CallRecord(
            cell_id=self.cell_id, call_index=self.call_index, strategy=self.strategy, choice=self.choice,
            forced=self.forced, reason=redact.text(d.reason) if d else "", confidence=d.confidence if d else None,
            features={**(d.features if d else {}), **self.extra_features}, decide_ms=self.decide_ms,
            backend_kind=self.backend_kind, model=self.model, stream=self.stream, status=self.status,
            error=redact.optional(self.error), retries=self.retries, usage=self.usage or TokenCounts(),
            usage_source=self.usage_source, ttft_ms=self.ttft_ms, total_ms=ms(self.t0), aux=aux,
            started_at=self.started_at,
        )
