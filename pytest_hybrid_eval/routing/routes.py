"""The proxy's URL layout: every path it serves, and ``cell_url``, the one place a cell's URL is built.

Every path sits under ``/{secret}`` (an empty secret means no prefix: ``hybrid-eval serve --no-secret``).
A cell's calls go to ``/cells/{cell_id}/{strategy}/v1/...``, which is how the ledger attributes each
call to one cell; ``/{strategy}/v1/...`` serves calls made outside a sweep. Both carry the model-list
endpoints too, because agents probe them relative to their base URL. ``app`` mounts the handlers on
these paths; this module imports nothing heavy, so any process (an agent's runner, the judge) can
build a URL without loading the proxy.

Path parts are percent-quoted (``safe=''``) when a URL is built: cell ids and strategy names are
URL-safe by construction (``cells``, the strategy registry), so quoting changes nothing for them and
keeps anything else from escaping its path segment.
"""

from __future__ import annotations

from urllib.parse import quote

#: Bases of the routed endpoints: a cell under a strategy, or a strategy alone (standalone use).
CELL_BASE = "/cells/{cell_id}/{strategy}"
STRATEGY_BASE = "/{strategy}"
#: Under a base (and, for the model lists, also at the root).
CHAT = "/v1/chat/completions"
MODELS = "/v1/models"
OLLAMA_TAGS = "/api/tags"
OLLAMA_VERSION = "/api/version"
#: At the root only.
HEALTHZ = "/healthz"
CELL_USAGE = "/cells/{cell_id}/usage"
DECISIONS = "/decisions"
BUDGET = "/budget"


def cell_url(proxy_url: str, cell_id: str, strategy: str) -> str:
    """The OpenAI base URL (ending in ``/v1``) that the calls of ``cell_id`` under ``strategy`` go to."""
    base = CELL_BASE.format(cell_id=quote(cell_id, safe=""), strategy=quote(strategy, safe=""))
    return f"{proxy_url.rstrip('/')}{base}/v1"


def cell_usage_url(proxy_url: str, cell_id: str) -> str:
    """Where the ledger's usage of ``cell_id`` is read (a CellUsage as JSON)."""
    return proxy_url.rstrip("/") + CELL_USAGE.format(cell_id=quote(cell_id, safe=""))
