"""External agents reach the proxy and nothing else.

Inside the agent sandbox the proxy's ``127.0.0.1:PORT`` answers (through the unix-socket bridge), while
another loopback port of the host — a server the test starts — refuses, and a public address is
unreachable at once: the namespace has no route out, so that single connect attempt never leaves it.
A plain process (the fallback when no sandbox can host an agent) reaches the other port, so the test
can fail.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.base import AgentContext
from pytest_hybrid_eval.agents.cli_agent import run_cli, scrubbed_env
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.proxybridge import ProxyBridge
from pytest_hybrid_eval.sandbox.select import probe_bwrap

BWRAP_REASON = probe_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP_REASON is not None, reason=f"bwrap unusable: {BWRAP_REASON}")

PROBE = """
import json, socket, sys, time
def attempt(host, port):
    t0 = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=3) as s:
            s.sendall(b"ping\\n")
            return {"ok": s.recv(64).decode(), "s": time.monotonic() - t0}
    except OSError as exc:
        return {"error": exc.errno, "s": time.monotonic() - t0}
proxy, other = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({"proxy": attempt("127.0.0.1", proxy), "proxy2": attempt("localhost", proxy),
                  "proxy6": attempt("::1", proxy),
                  "other": attempt("127.0.0.1", other), "public": attempt("1.1.1.1", 80)}))
"""


def _server(tag: bytes) -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def loop() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.recv(64)
                conn.sendall(tag)

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


@pytest.fixture
def servers() -> Iterator[tuple[int, int]]:
    """(proxy port, another loopback port) of two host servers that answer with their name."""
    proxy, proxy_port = _server(b"PROXY")
    other, other_port = _server(b"OTHER")
    yield proxy_port, other_port
    proxy.close()
    other.close()


def _ctx(tmp_path: Path, sandbox: object, port: int) -> AgentContext:
    cell = tmp_path / "cell"
    (cell / "workspace").mkdir(parents=True)
    (cell / "home").mkdir()
    return AgentContext(cell=None, task=None, workspace=cell / "workspace",  # type: ignore[arg-type]
                        base_url=f"http://127.0.0.1:{port}/cells/c/always-cloud/v1", model="m", timeout_s=20,
                        max_turns=1, sandbox=sandbox, home=cell / "home")  # type: ignore[arg-type]


def _probe(ctx: AgentContext, proxy_port: int, other_port: int) -> tuple[dict, dict[str, str]]:
    run = run_cli([sys.executable, "-c", PROBE, str(proxy_port), str(other_port)], ctx, scrubbed_env(ctx),
                  timeout_s=20)
    assert run.exit_code == 0, (run.stdout_tail, run.stderr_tail)
    return json.loads(run.stdout_tail.strip().splitlines()[-1]), run.extra


@needs_bwrap
def test_agent_sandbox_reaches_the_proxy_and_nothing_else(tmp_path: Path, servers: tuple[int, int]) -> None:
    proxy_port, other_port = servers
    seen, extra = _probe(_ctx(tmp_path, BwrapSandbox(), proxy_port), proxy_port, other_port)
    assert seen["proxy"]["ok"] == seen["proxy2"]["ok"] == seen["proxy6"]["ok"] == "PROXY"
    assert "ok" not in seen["other"] and "ok" not in seen["public"]
    assert seen["public"]["s"] < 1.0  # no route: refused at once, nothing left the namespace
    assert extra["network"] == "proxy-only"


def test_without_an_agent_sandbox_the_other_port_is_reachable(tmp_path: Path, servers: tuple[int, int]) -> None:
    proxy_port, other_port = servers
    ctx = _ctx(tmp_path, ProcessSandbox(), proxy_port)
    run = run_cli([sys.executable, "-c", f"import socket\ns = socket.create_connection(('127.0.0.1', {other_port}))\n"
                   "s.sendall(b'x'); print(s.recv(9).decode())"], ctx, scrubbed_env(ctx), timeout_s=20)
    assert run.stdout_tail.strip() == "OTHER" and not run.sandboxed and run.extra["network"] == "host"


def test_bridge_relays_both_ways_and_only_to_its_target(servers: tuple[int, int]) -> None:
    proxy_port, _ = servers
    with ProxyBridge(proxy_port) as bridge:
        for _ in range(3):  # several connections, each answered by the proxy
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(bridge.path))
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                assert s.recv(64) == b"PROXY"
        sock_dir = bridge.dir
    assert not sock_dir.exists()


@needs_bwrap
def test_agent_exit_status_and_signals_pass_through_the_relay(tmp_path: Path, servers: tuple[int, int]) -> None:
    proxy_port, _ = servers
    ctx = _ctx(tmp_path, BwrapSandbox(), proxy_port)
    assert run_cli(["/bin/sh", "-c", "exit 7"], ctx, scrubbed_env(ctx), timeout_s=20).exit_code == 7
    killed = run_cli(["/bin/sh", "-c", "kill -9 $$"], ctx, scrubbed_env(ctx), timeout_s=20)
    assert killed.exit_code == -9
