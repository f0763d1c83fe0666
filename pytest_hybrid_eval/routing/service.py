"""Run the routing proxy (and optionally the scripted model server) on one event loop in a daemon thread.

The controller process owns this; pytest items, xdist workers and agent subprocesses reach it over
loopback HTTP. Startup either completes or raises within a few seconds, so a broken proxy fails the
session at once instead of failing every cell later. Access logging is off: request paths carry the
secret (and the proxy's log filter masks it in aiohttp's error log). Both servers close idle and
slow-header connections (``proxy.idle_timeout_s``, ``proxy.header_timeout_s``: see ``connlimits``).

The loop is uvloop's where it is installed (it is a dependency on POSIX): the proxy's per-request cost is
mostly event-loop and transport work (reads, timers, writes), which uvloop does in C; on a 2-core
machine that is what decides requests/s under concurrency. The stdlib loop is the fallback (Windows).
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from aiohttp import web

from pytest_hybrid_eval.backends import make_backends
from pytest_hybrid_eval.config import ProxyConfig, SweepConfig
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.app import create_proxy_app
from pytest_hybrid_eval.routing.budget import BudgetGuard
from pytest_hybrid_eval.routing.connlimits import LimitedAppRunner
from pytest_hybrid_eval.routing.ledger import Ledger
from pytest_hybrid_eval.routing.recorder import replay_backends, wrap_for_recording
from pytest_hybrid_eval.routing.routes import cell_usage_url
from pytest_hybrid_eval.usage import CallRecord, CellUsage

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


def _new_loop() -> asyncio.AbstractEventLoop:
    """A fresh event loop for the service thread: uvloop's when importable, else the stdlib's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class ServiceStartError(HybridEvalError):
    """The proxy or the scripted server could not start."""


async def _serve(app: web.Application, limits: ProxyConfig, port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on a loopback port (0 = a free one); handler cancellation makes a client disconnect
    cancel the upstream request."""
    runner = LimitedAppRunner(app, idle_timeout_s=limits.idle_timeout_s, header_timeout_s=limits.header_timeout_s,
                              access_log=None, handler_cancellation=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    port = next(addr[1] for addr in runner.addresses if isinstance(addr, tuple))
    return runner, port


class Services:
    """Handles of the running proxy (and scripted server): URLs, the ledger, and ``stop``."""

    def __init__(self, config: SweepConfig, scripted_app_factory: Callable[[], web.Application] | None = None,
                 decision_log: Path | str | None = None, port: int = 0, secret: str | None = None) -> None:
        self.config = config
        self.ledger = Ledger(decision_log)
        self.budget = BudgetGuard.from_config(config)
        self.secret = secrets.token_urlsafe(16) if secret is None else secret
        self._port = port
        self.proxy_url = ""
        self.scripted_url: str | None = None
        self._factory = scripted_app_factory
        self._runners: list[web.AppRunner] = []
        self._loop = _new_loop()
        self._thread = threading.Thread(target=self._run, name="hybrid-eval-proxy", daemon=True)
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopped = False
        self._stop_lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            self._startup_error = exc
            self._ready.set()
            self._loop.run_until_complete(self._cleanup())
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._cleanup())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _start(self) -> None:
        scripted_url = None
        routing = self.config.routing
        if routing.replay_dir is not None:
            # Replay answers from the store alone: no scripted server, no connection to any model.
            backends = replay_backends(self.config, Path(routing.replay_dir).resolve())
        else:
            if self._factory is not None:
                runner, port = await _serve(self._factory(), self.config.proxy)
                self._runners.append(runner)
                scripted_url = f"http://{HOST}:{port}"
            backends = make_backends(self.config, scripted_url)
            if routing.record_dir is not None:
                backends = wrap_for_recording(backends, Path(routing.record_dir).resolve())
        app = create_proxy_app(self.config, backends, self.secret, ledger=self.ledger, budget=self.budget)
        runner, port = await _serve(app, self.config.proxy, self._port)
        self._runners.append(runner)
        self.scripted_url = scripted_url
        self.proxy_url = f"http://{HOST}:{port}" + (f"/{self.secret}" if self.secret else "")

    async def _cleanup(self) -> None:
        # Proxy first (it holds connections to the scripted server), then the scripted server.
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        self.ledger.close()

    def start(self) -> Services:
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT_S):
            self.stop()
            raise ServiceStartError(f"the routing proxy did not start within {STARTUP_TIMEOUT_S} s")
        if self._startup_error is not None:
            self._thread.join(SHUTDOWN_TIMEOUT_S)
            self._stopped = True
            exc = self._startup_error
            if isinstance(exc, HybridEvalError):
                raise exc
            raise ServiceStartError(f"the routing proxy failed to start: {type(exc).__name__}: {exc}") from exc
        return self

    def stop(self) -> None:
        """Shut both servers down and join the thread; safe to call twice."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        if self._thread.is_alive() and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(SHUTDOWN_TIMEOUT_S)

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_services(config: SweepConfig, scripted_app_factory: Callable[[], web.Application] | None = None,
                   decision_log: Path | str | None = None, port: int = 0, secret: str | None = None) -> Services:
    """Start the scripted server (when a factory is given) and the proxy on loopback.

    ``port`` 0 picks a free port (the plugin's case); ``hybrid-eval serve`` may pin one and pass its own
    ``secret`` ("" = no prefix, for an editor agent on a single-user machine).
    """
    return Services(config, scripted_app_factory, decision_log, port=port, secret=secret).start()


def fetch_usage(proxy_url: str, cell_id: str, timeout: float = 10) -> CellUsage:
    """A cell's usage from a running proxy (works from any process that knows ``proxy_url``)."""
    url = cell_usage_url(proxy_url, cell_id)
    with httpx.Client(trust_env=False, timeout=timeout) as client:
        resp = client.get(url)
    if resp.status_code != 200:
        raise HybridEvalError(f"the routing proxy answered {resp.status_code} for the usage of cell {cell_id!r}")
    return CellUsage.model_validate_json(resp.content)


def calls_after(proxy_url: str, cell_id: str, before: CellUsage) -> list[CallRecord]:
    """The calls booked on ``cell_id`` since ``before`` was read: a scorer's own calls (the LLM judge's),
    which are scoring cost and must be kept apart from the routed calls of the agent."""
    seen = {c.call_index for c in before.calls}
    return [c for c in fetch_usage(proxy_url, cell_id).calls if c.call_index not in seen]
