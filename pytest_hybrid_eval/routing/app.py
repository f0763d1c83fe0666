"""The proxy as an aiohttp application: a RoutingProxy's handlers mounted on the paths of ``routes``.

The app owns what lives exactly as long as it serves: the upstreams' client session and the log filter
that masks the secret and the upstream keys in aiohttp's own log lines. ``service`` runs it.
"""

from __future__ import annotations

from aiohttp import web

from pytest_hybrid_eval.backends.base import Backend
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing import routes
from pytest_hybrid_eval.routing.budget import BudgetGuard
from pytest_hybrid_eval.routing.guards import guard_middleware
from pytest_hybrid_eval.routing.ledger import Ledger
from pytest_hybrid_eval.routing.proxy import RoutingProxy
from pytest_hybrid_eval.routing.redact import RedactingLogFilter, Redactor, backend_secrets


def create_proxy_app(config: SweepConfig, backends: dict[str, Backend], secret: str,
                     ledger: Ledger | None = None, budget: BudgetGuard | None = None) -> web.Application:
    """The proxy app; every route sits under ``/{secret}`` (an empty secret means no prefix)."""
    if "/" in secret or "{" in secret or "}" in secret:
        raise ValueError("the secret must be a single URL path segment")
    proxy = RoutingProxy(config, backends, ledger if ledger is not None else Ledger(), budget)
    app = web.Application(client_max_size=config.routing.max_body_bytes, middlewares=[guard_middleware])
    app.cleanup_ctx.append(proxy.upstreams.session_ctx)
    app.cleanup_ctx.append(RedactingLogFilter(Redactor([*backend_secrets(backends), secret])).while_running)
    p = f"/{secret}" if secret else ""
    r = app.router
    health = proxy.health
    for base in (p + routes.CELL_BASE, p + routes.STRATEGY_BASE):
        r.add_post(base + routes.CHAT, proxy.chat_completions)
        r.add_get(base + routes.MODELS, health.models)
        r.add_get(base + routes.OLLAMA_TAGS, health.api_tags)
        r.add_get(base + routes.OLLAMA_VERSION, health.api_version)
    r.add_get(p + routes.MODELS, health.models)
    r.add_get(p + routes.OLLAMA_TAGS, health.api_tags)
    r.add_get(p + routes.OLLAMA_VERSION, health.api_version)
    r.add_get(p + routes.HEALTHZ, health.healthz)
    r.add_get(p + routes.CELL_USAGE, proxy.cell_usage)
    r.add_get(p + routes.DECISIONS, proxy.decisions)
    r.add_get(p + routes.BUDGET, proxy.budget_status)
    return app
