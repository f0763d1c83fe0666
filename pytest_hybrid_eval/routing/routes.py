"""The proxy's URL layout: every route, and ``cell_url``, the one place a cell's base URL is spelled.

Every route sits under ``/{secret}`` (an empty secret means no prefix: ``hybrid-eval serve
--no-secret``). A cell's calls go to ``/cells/{cell_id}/{strategy}/v1/...``, which is how the ledger
attributes each call to one cell; ``/{strategy}/v1/...`` serves calls made outside a sweep. Both carry
the model-list endpoints too, because agents probe them relative to their base URL.

Path parts are percent-quoted (``safe=''``) when a URL is built: cell ids and strategy names are
URL-safe by construction (``cells``, the strategy registry), so quoting changes nothing for them and
keeps anything else from escaping its path segment.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from pytest_hybrid_eval.backends.base import Backend
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing.budget import BudgetGuard
from pytest_hybrid_eval.routing.guards import guard_middleware
from pytest_hybrid_eval.routing.ledger import Ledger
from pytest_hybrid_eval.routing.proxy import RoutingProxy
from pytest_hybrid_eval.routing.redact import RedactingLogFilter, Redactor, backend_secrets


def cell_url(proxy_url: str, cell_id: str, strategy: str) -> str:
    """The OpenAI base URL (ending in ``/v1``) that the calls of ``cell_id`` under ``strategy`` go to."""
    return f"{proxy_url.rstrip('/')}/cells/{quote(cell_id, safe='')}/{quote(strategy, safe='')}/v1"


def cell_usage_url(proxy_url: str, cell_id: str) -> str:
    """Where the ledger's usage of ``cell_id`` is read (a CellUsage as JSON)."""
    return f"{proxy_url.rstrip('/')}/cells/{quote(cell_id, safe='')}/usage"


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
    for base in (f"{p}/cells/{{cell_id}}/{{strategy}}", f"{p}/{{strategy}}"):
        r.add_post(f"{base}/v1/chat/completions", proxy.chat_completions)
        r.add_get(f"{base}/v1/models", health.models)
        r.add_get(f"{base}/api/tags", health.api_tags)
        r.add_get(f"{base}/api/version", health.api_version)
    r.add_get(f"{p}/v1/models", health.models)
    r.add_get(f"{p}/api/tags", health.api_tags)
    r.add_get(f"{p}/api/version", health.api_version)
    r.add_get(f"{p}/healthz", health.healthz)
    r.add_get(f"{p}/cells/{{cell_id}}/usage", proxy.cell_usage)
    r.add_get(f"{p}/decisions", proxy.decisions)
    r.add_get(f"{p}/budget", proxy.budget_status)
    return app
