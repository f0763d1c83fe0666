"""Connection deadlines for the proxy's HTTP server: idle and slow-header connections are closed.

aiohttp closes a connection that has no complete request for ``keepalive_timeout`` seconds, counted from
the connect and from each reply; partial bytes do not extend it, so a client trickling a request line is
closed then too. That deadline is ``proxy.idle_timeout_s``: long enough for an agent's keep-alive pool
between calls. A brand-new connection gets a second, shorter deadline, ``proxy.header_timeout_s``: its first
request line and headers must be complete by then (a port scan, a stuck client or a slowloris-style
trickle holds a connection for seconds, not for the idle timeout).

The header deadline is one timer per connection, armed when the connection is accepted; requests pay
nothing for it.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler


def _expire_if_no_request(handler: RequestHandler) -> None:
    """Close ``handler``'s connection when it has not yet delivered a complete request head."""
    # aiohttp counts parsed request heads per connection; a missing counter (another aiohttp) is treated as
    # "a request arrived", so the worst case is a deadline that does nothing, never a busy connection closed.
    if handler.transport is not None and getattr(handler, "_request_count", 1) == 0:
        handler.force_close()


class _HeaderDeadlineServer:
    """The runner's protocol factory, arming the header deadline on every accepted connection; everything
    else (shutdown, connection bookkeeping) is the wrapped ``web.Server``'s."""

    def __init__(self, inner: web.Server, header_timeout_s: float) -> None:
        self._inner = inner
        self._header_timeout_s = header_timeout_s

    def __call__(self) -> RequestHandler:
        handler = self._inner()
        asyncio.get_running_loop().call_later(self._header_timeout_s, _expire_if_no_request, handler)
        return handler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class LimitedAppRunner(web.AppRunner):
    """An AppRunner whose connections close after ``idle_timeout_s`` without a request and whose new
    connections must send a complete request head within ``header_timeout_s``."""

    def __init__(self, app: web.Application, *, idle_timeout_s: float, header_timeout_s: float,
                 **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=idle_timeout_s, **kwargs)
        self._header_timeout_s = header_timeout_s

    async def _make_server(self) -> web.Server:
        inner = await super()._make_server()
        return cast(web.Server, _HeaderDeadlineServer(inner, self._header_timeout_s))
