"""The strategy interface: one decision per routed call, with its reasons as named features.

A strategy sees the request exactly as the client sent it and never changes it; everything it learns
goes into the Decision, which the proxy copies into the call record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pytest_hybrid_eval.usage import AuxCall, Tier


@dataclass
class Decision:
    choice: Tier
    reason: str
    confidence: float | None = None
    features: dict[str, Any] = field(default_factory=dict)
    aux: list[AuxCall] = field(default_factory=list)
    #: escalate-style strategies: answer on ``choice``, verify, and re-ask the cloud when the check fails
    verify_then_escalate: bool = False


@dataclass
class RouteRequest:
    body: dict[str, Any]
    cell_id: str | None
    call_index: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages") or []

    @property
    def tools(self) -> list[dict[str, Any]]:
        return self.body.get("tools") or []


class AuxClient(Protocol):
    """How a strategy asks a helper model (classifier, embedder) through the *local* backend."""

    async def chat(self, kind: str, messages: list[dict[str, Any]], model: str, cell_id: str | None,
                   timeout_s: float) -> tuple[str | None, AuxCall]:
        """Return (reply text or None on failure, the aux record to count)."""
        ...

    async def embed(self, texts: list[str], model: str, cell_id: str | None,
                    timeout_s: float) -> tuple[list[list[float]] | None, AuxCall]: ...


@dataclass
class StrategyContext:
    params: dict[str, Any]
    aux: AuxClient | None = None
    classifier_model: str = ""


@runtime_checkable
class Strategy(Protocol):
    name: str

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision: ...
