"""The proxy's two model servers (one per tier) and the one client session they share.

One session means one connection pool for both tiers and for helper-model calls, so keep-alive
connections are reused across cells; it exists only while the app runs (``session_ctx``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from pytest_hybrid_eval.backends.base import Backend
from pytest_hybrid_eval.config import Retry

TIERS = ("local", "cloud")


class Upstreams:
    """The backends by tier, the retry policy for calls to them, and the shared client session."""

    def __init__(self, backends: dict[str, Backend], retry: Retry) -> None:
        missing = [t for t in TIERS if t not in backends]
        if missing:
            raise ValueError(f"backends for tiers {missing} are missing")
        self.backends = backends
        self.retry = retry
        self._session: aiohttp.ClientSession | None = None

    def __getitem__(self, tier: str) -> Backend:
        return self.backends[tier]

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the proxy's client session exists only while the app runs")
        return self._session

    async def session_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """An aiohttp ``cleanup_ctx``: the session (connection pool) lives exactly while the app serves."""
        connector = aiohttp.TCPConnector(limit=256, enable_cleanup_closed=True)
        self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        try:
            yield
        finally:
            await self._session.close()
            self._session = None
