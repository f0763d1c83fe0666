"""The strategy interface: one decision per routed call, with its reasons as named features.

A strategy sees the request exactly as the client sent it and never changes it; everything it learns
goes into the Decision, which the proxy copies into the call record.

Two capabilities are optional, each a protocol of its own so that the proxy and calibration find them
by what a strategy offers (``isinstance``) rather than by where it is defined:

- :class:`EscalatingStrategy` (``needs_escalation``): the check the proxy runs on the local reply when a
  decision says ``verify_then_escalate``.
- :class:`ScoringStrategy` (``score_request`` and ``threshold_params``): a strategy that compares a score
  with thresholds, so ``calibrate`` can turn a target cloud share into threshold values.
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


@runtime_checkable
class EscalatingStrategy(Strategy, Protocol):
    """A strategy that may answer locally first and have the proxy re-ask the cloud."""

    def needs_escalation(self, reply: dict[str, Any]) -> str | None:
        """Why a local chat completion (non-streamed shape; a stream is folded into it first) is unusable,
        or None when it may be released to the client. Must be pure: the proxy owns the round trips."""
        ...


@runtime_checkable
class ScoringStrategy(Strategy, Protocol):
    """A strategy that routes by comparing a score with thresholds (cloud when ``score >= threshold``)."""

    #: the ``routing.params`` keys a calibrated threshold is pinned to
    threshold_params: tuple[str, ...]

    def score_request(self, req: RouteRequest, params: dict[str, Any]) -> dict[str, Any]:
        """The features of ``req`` under ``params``; ``features["score"]`` is the number compared."""
        ...
