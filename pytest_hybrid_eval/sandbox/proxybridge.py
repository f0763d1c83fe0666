"""Host side of an agent's only way out: a unix socket whose every connection goes to the proxy's port.

The agent's sandbox has a network namespace of its own (nothing but loopback), so it cannot open a
connection to the host's 127.0.0.1 or anywhere else. `ProxyBridge` listens on a unix socket in a private
directory, which the sandbox binds read-only into the namespace; `netrelay` inside forwards the agent's
``127.0.0.1:PORT`` connections to it, and this side connects each one to the routing proxy at a fixed
``127.0.0.1:PORT``. The destination is fixed here, on the host: nothing the agent sends can choose
another address. One thread accepts; each connection is pumped by a thread of its own and ends when
both directions are closed.
"""

from __future__ import annotations

import contextlib
import selectors
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from types import TracebackType

SOCKET_NAME = "proxy.sock"
_CHUNK = 65536


def _pump_pair(a: socket.socket, b: socket.socket) -> None:
    """Relay both directions between ``a`` and ``b``, half-closing each at its EOF."""
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    open_ends = 2
    try:
        while open_ends:
            for key, _ in sel.select():
                src: socket.socket = key.fileobj  # type: ignore[assignment]
                dst: socket.socket = key.data
                data = src.recv(_CHUNK)
                if data:
                    dst.sendall(data)
                    continue
                sel.unregister(src)
                open_ends -= 1
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        sel.close()
        for s in (a, b):
            s.close()


class ProxyBridge:
    """Serves ``dir/proxy.sock`` until closed; every connection is relayed to ``host:port``."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, port)
        self.dir = Path(tempfile.mkdtemp(prefix="hev-net-"))
        self.path = self.dir / SOCKET_NAME
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen(64)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hybrid-eval-proxy-bridge", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                conn.close()
                continue
            threading.Thread(target=_pump_pair, args=(conn, upstream), daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=2)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ProxyBridge:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
