"""In-sandbox relay: 127.0.0.1:PORT inside a private network namespace -> a unix socket -> the proxy.

Run *inside* the agent's bubblewrap sandbox as ``python -I netrelay.py SOCKET PORT -- ARGV...``. The
namespace has only a loopback interface (``--unshare-net``), so nothing in it can reach any address of
the host or the internet; the one way out is the unix socket that the harness binds into the sandbox
and serves (`proxybridge`), which always connects to the routing proxy and nowhere else. Listening on
the proxy's own port means the agent's base URL (``http://127.0.0.1:PORT/...``) works unchanged.

The relay listens *before* it starts the command, so the agent's first request never races it; it
exits with the command's status (re-raising the signal that killed it, so the sandbox still tells a
memory or CPU kill apart). Standard library only, and executed by path: this file must not import the
package, whose other modules may be hidden from the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

_CHUNK = 65536


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until EOF, then half-close so the other direction can finish."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def _serve(sock_path: str, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    try:
        up_r, up_w = await asyncio.open_unix_connection(sock_path)
    except OSError:
        client_w.close()
        return
    try:
        await asyncio.gather(_pump(client_r, up_w), _pump(up_r, client_w))
    finally:
        for w in (up_w, client_w):
            w.close()


async def _main(sock_path: str, port: int, argv: list[str]) -> int:
    servers: list[asyncio.Server] = []
    # ::1 too, for a client that resolves "localhost" to IPv6 first; only 127.0.0.1 is required
    for host in ("127.0.0.1", "::1"):
        try:
            servers.append(await asyncio.start_server(lambda r, w: _serve(sock_path, r, w), host, port))
        except OSError as exc:
            if host == "127.0.0.1":  # e.g. a port below 1024 (no capability to bind it): fail closed
                sys.stderr.write(f"netrelay: cannot listen on {host}:{port} ({exc.strerror}); no network\n")
                break
    proc = await asyncio.create_subprocess_exec(*argv)
    code = await proc.wait()
    for server in servers:
        server.close()
    return code


def main(args: list[str]) -> None:
    if len(args) < 4 or args[2] != "--":
        sys.stderr.write("usage: netrelay.py SOCKET PORT -- ARGV...\n")
        raise SystemExit(2)
    code = asyncio.run(_main(args[0], int(args[1]), args[3:]))
    if code < 0:  # the command died of a signal: die of the same one so the sandbox sees it
        sys.stdout.flush()
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP have no handler to reset
            signal.signal(-code, signal.SIG_DFL)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), -code)
        code = 128 - code
    raise SystemExit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
