"""The usage schema: token counts, the per-call decision record and the per-cell usage ledger.

It lives at the top of the package because everyone reads it: the proxy writes it, rows, pricing, the
judge and a cell's runner read it.

Workers read a cell's ledger from the controller's proxy over HTTP (``GET …/cells/<id>/usage``), so
these are pydantic models with a JSON round trip, not in-memory objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["local", "cloud"]


class TokenCounts(BaseModel):
    """Completion tokens already include reasoning tokens (as the OpenAI usage object reports them)."""

    model_config = ConfigDict(extra="forbid")

    prompt: int = 0
    completion: int = 0
    cached: int = 0
    reasoning: int = 0

    def add(self, other: TokenCounts) -> None:
        self.prompt += other.prompt
        self.completion += other.completion
        self.cached += other.cached
        self.reasoning += other.reasoning

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    @classmethod
    def sum_of(cls, usages: Iterable[TokenCounts]) -> TokenCounts:
        """The counts of several calls added up (a new object; the inputs are left alone)."""
        total = cls()
        for usage in usages:
            total.add(usage)
        return total


class AuxCall(BaseModel):
    """An auxiliary call a strategy made to decide (classifier, embedding): counted, never hidden."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["classifier", "embedding", "judge"]
    tier: Tier
    model: str
    usage: TokenCounts = TokenCounts()
    latency_ms: float = 0.0
    ok: bool = True
    error: str | None = None


class CallRecord(BaseModel):
    """One routed LLM call: what was decided, why, and what it cost in tokens and time."""

    model_config = ConfigDict(extra="forbid")

    cell_id: str
    call_index: int
    strategy: str
    choice: Tier
    forced: bool = False
    reason: str = ""
    confidence: float | None = None
    features: dict[str, Any] = Field(default_factory=dict)
    decide_ms: float = 0.0
    backend_kind: str = ""
    model: str = ""
    fallback_used: bool = False
    stream: bool = False
    status: int = 0
    error: str | None = None
    retries: int = 0
    usage: TokenCounts = TokenCounts()
    usage_source: Literal["upstream", "estimated", "none"] = "none"
    ttft_ms: float | None = None
    total_ms: float = 0.0
    aux: list[AuxCall] = Field(default_factory=list)
    started_at: str = ""


class CellUsage(BaseModel):
    """Everything the proxy saw for one cell: the sum per tier and each call's record."""

    model_config = ConfigDict(extra="forbid")

    cell_id: str
    local: TokenCounts = TokenCounts()
    cloud: TokenCounts = TokenCounts()
    aux: TokenCounts = TokenCounts()
    local_calls: int = 0
    cloud_calls: int = 0
    aux_calls: int = 0
    failed_calls: int = 0
    calls: list[CallRecord] = Field(default_factory=list)

    def record(self, rec: CallRecord) -> None:
        self.calls.append(rec)
        if rec.error is not None:
            self.failed_calls += 1
        tier = self.local if rec.choice == "local" else self.cloud
        tier.add(rec.usage)
        if rec.choice == "local":
            self.local_calls += 1
        else:
            self.cloud_calls += 1
        for aux in rec.aux:
            self.aux.add(aux.usage)
            self.aux_calls += 1
