"""The routing proxy: an OpenAI-compatible endpoint that picks local or cloud for every call.

The path carries everything it needs (secret, cell id, strategy: see ``routes``; ``app`` mounts the
handlers), so an agent only needs a base URL. One chat call goes: the request is checked
(``validation``), a tier is decided (``decide``), the call is relayed to it (``relay``) or, for a
verify-then-escalate decision, asked locally first (``escalation``); everything learned about it becomes
exactly one CallRecord (``calls``) in the ledger, and its cloud cost is charged to the budget.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from pytest_hybrid_eval.backends.base import Backend
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing.budget import BudgetGuard
from pytest_hybrid_eval.routing.calls import STANDALONE_CELL, CallState, now_iso
from pytest_hybrid_eval.routing.decide import Decider
from pytest_hybrid_eval.routing.escalation import Escalation
from pytest_hybrid_eval.routing.guards import error_response, non_json_refusal
from pytest_hybrid_eval.routing.health import Health
from pytest_hybrid_eval.routing.ledger import Ledger
from pytest_hybrid_eval.routing.recorder import ReplayMiss
from pytest_hybrid_eval.routing.redact import Redactor, backend_secrets
from pytest_hybrid_eval.routing.relay import Relay
from pytest_hybrid_eval.routing.strategies import Strategy, get_strategy, strategy_names
from pytest_hybrid_eval.routing.upstreams import Upstreams
from pytest_hybrid_eval.routing.validation import read_chat_request


class RoutingProxy:
    """State of one proxy app: upstreams, strategies, per-cell call counters, ledger and budget."""

    def __init__(self, config: SweepConfig, backends: dict[str, Backend], ledger: Ledger,
                 budget: BudgetGuard | None = None) -> None:
        self.config = config
        self.upstreams = Upstreams(backends, config.routing.retry)
        self.ledger = ledger
        self.budget = budget if budget is not None else BudgetGuard.from_config(config)
        #: every text the proxy relays or records passes through this (the upstream keys never echo back)
        self.redact = Redactor(backend_secrets(backends))
        self.decider = Decider(config, self.upstreams)
        self.relay = Relay(self.upstreams, self.redact, self.budget, self.finish)
        self.escalation = Escalation(self.relay)
        self.health = Health(self.upstreams)
        self._strategies: dict[str, Strategy] = {}
        self._counters: dict[str, int] = {}

    def strategy(self, name: str) -> Strategy | None:
        if name not in self._strategies:
            if name not in strategy_names():
                return None
            self._strategies[name] = get_strategy(name)
        return self._strategies[name]

    def next_index(self, cell_key: str) -> int:
        # No await between read and write: atomic within the event loop.
        idx = self._counters.get(cell_key, 0)
        self._counters[cell_key] = idx + 1
        return idx

    def finish(self, call: CallState) -> None:
        """Put the call in the ledger, once, and charge its cloud cost to the budget."""
        if not call.recorded:
            call.recorded = True
            rec = call.to_record(self.redact)
            self.budget.charge(rec)
            self.ledger.record(rec)

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        """The routed endpoint: check, decide, relay; the call is recorded however it ends."""
        refusal = non_json_refusal(request)
        if refusal is not None:
            return refusal
        name = request.match_info["strategy"]
        cell_id = request.match_info.get("cell_id")
        strategy = self.strategy(name)
        if strategy is None:
            return error_response(404, f"unknown strategy {name!r}; valid strategies: "
                                  f"{', '.join(strategy_names())}", "not_found",
                                  valid_strategies=strategy_names())
        read = await read_chat_request(request, self.config)
        if isinstance(read, web.Response):
            return read
        raw, body = read
        stream = bool(body.get("stream"))
        opts = body.get("stream_options")
        client_wants_usage = isinstance(opts, dict) and opts.get("include_usage") is True
        call = CallState(cell_id=cell_id if cell_id is not None else STANDALONE_CELL,
                         call_index=self.next_index(cell_id or ""), strategy=name, stream=stream,
                         started_at=now_iso(), t0=time.perf_counter())
        try:
            return await self._route(request, raw, body, strategy, cell_id, call, stream,
                                     strip_usage=not client_wants_usage)
        except asyncio.CancelledError:
            call.error = call.error or "client disconnected"
            raise
        except Exception as exc:
            call.error = call.error or f"proxy error: {type(exc).__name__}: {exc}"[:300]
            call.status = call.status or 500
            raise
        finally:
            self.finish(call)

    async def _route(self, request: web.Request, raw: bytes, body: dict[str, Any], strategy: Strategy,
                     cell_id: str | None, call: CallState, stream: bool, strip_usage: bool) -> web.StreamResponse:
        try:
            decision = await self.decider.decide(body, strategy, cell_id, call)
        except ReplayMiss as exc:
            return self.relay.replay_miss(call, exc, {})
        except Exception as exc:
            call.error = self.redact.text(f"strategy {call.strategy!r} failed: {type(exc).__name__}: {exc}"[:300])
            call.status = 500
            return error_response(500, call.error, "server_error")
        if decision.verify_then_escalate and decision.choice == "local":
            return await self.escalation.run(request, raw, body, strategy, cell_id, call, stream, strip_usage)
        return await self.relay.forward(request, raw, body, cell_id, call, decision.choice, stream, strip_usage)

    # -- what the ledger and the budget know, for any process that has the URL ---------------------------

    async def cell_usage(self, request: web.Request) -> web.Response:
        usage = self.ledger.usage(request.match_info["cell_id"])
        return web.Response(text=usage.model_dump_json(), content_type="application/json")

    async def budget_status(self, request: web.Request) -> web.Response:
        return web.json_response(self.budget.snapshot())

    async def decisions(self, request: web.Request) -> web.Response:
        cell = request.query.get("cell")
        recs = [r.model_dump(mode="json") for r in self.ledger.all_records() if cell is None or r.cell_id == cell]
        return web.json_response({"records": recs})
