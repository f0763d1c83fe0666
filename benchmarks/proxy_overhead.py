"""What the routing proxy adds: direct vs through-proxy latency, streaming time to first byte, and
requests/s at concurrency 1, 8 and 64, all against one fake upstream on loopback.

Run: ``.venv/bin/python benchmarks/proxy_overhead.py`` (under a minute). The upstream, the proxy and the
load generator are separate processes so that they do not share one interpreter lock; the proxy runs
as it does under pytest (``start_services``: one loop in a daemon thread). Figures are for this machine
and a zero-latency upstream, i.e. the pure cost of the hop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

STREAM_EVENTS = 20
STREAM_GAP_S = 0.002


def _completion() -> bytes:
    return json.dumps({
        "id": "b", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok " * 50}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 50, "total_tokens": 70},
    }).encode()


async def _chat(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    if not body.get("stream"):
        return web.Response(body=_completion(), content_type="application/json")
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    for i in range(STREAM_EVENTS):
        chunk = {"id": "b", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": f"t{i} "}}]}
        await resp.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        await asyncio.sleep(STREAM_GAP_S)
    if (body.get("stream_options") or {}).get("include_usage"):
        usage = {"id": "b", "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 20}}
        await resp.write(b"data: " + json.dumps(usage).encode() + b"\n\n")
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


async def _models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": []})


def run_upstream() -> None:
    """Child process: the fake upstream; prints its port, serves until stdin closes."""
    async def main() -> None:
        app = web.Application()
        app.router.add_post("/{tier}/v1/chat/completions", _chat)
        app.router.add_get("/{tier}/v1/models", _models)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


def run_proxy(upstream: str) -> None:
    """Child process: the proxy as the plugin runs it; prints its URL, serves until stdin closes."""
    from pytest_hybrid_eval.config import SweepConfig
    from pytest_hybrid_eval.routing.service import start_services

    cfg = SweepConfig.model_validate({
        "backend": "live",
        "models": {"local": {"name": "bench-local", "base_url": f"{upstream}/local/v1"},
                   "cloud": {"name": "bench-cloud", "base_url": f"{upstream}/cloud/v1"}},
    })
    svc = start_services(cfg)
    print(svc.proxy_url, flush=True)
    sys.stdin.read()
    svc.stop()


def _spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise SystemExit(f"child {args} failed to start")
    return proc, line


LITELLM_DEFAULT = "/tmp/litellm-venv/bin/litellm"
LITELLM_START_S = 120.0


def _start_litellm(exe: str, upstream: str, tmpdir: str) -> tuple[subprocess.Popen[bytes] | None, str]:
    """LiteLLM's proxy in front of the same fake upstream; (process, base URL) or (None, why not)."""
    if not os.path.exists(exe):
        return None, f"LiteLLM not measured: {exe} does not exist (install litellm[proxy] in /tmp/litellm-venv)"
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = os.path.join(tmpdir, "litellm.yaml")
    with open(cfg, "w", encoding="utf-8") as fh:
        fh.write("model_list:\n  - model_name: x\n    litellm_params:\n      model: openai/bench-local\n"
                 f"      api_base: {upstream}/local/v1\n      api_key: none\n")
    # Offline: the bundled model-cost map, no telemetry (this machine has loopback networking only).
    # No master key: a throwaway loopback bench (LiteLLM refuses to start keyless without this switch).
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "NO_PROXY": "*",
           "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true"}
    log = open(os.path.join(tmpdir, "litellm.log"), "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([exe, "--config", cfg, "--host", "127.0.0.1", "--port", str(port),
                             "--num_workers", "1", "--telemetry", "False"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + LITELLM_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = Path(tmpdir, "litellm.log").read_bytes()[-300:].decode("utf-8", "replace")
            return None, f"LiteLLM not measured: its proxy exited with {proc.returncode}: {tail.strip()}"
        try:
            with urllib.request.urlopen(f"{url}/health/liveliness", timeout=1) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    return None, f"LiteLLM not measured: its proxy did not answer within {LITELLM_START_S:.0f} s"


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


BODY = {"model": "x", "messages": [{"role": "user", "content": "say ok " * 30}], "temperature": 0}


async def _one(session: aiohttp.ClientSession, url: str, stream: bool) -> tuple[float, float]:
    """(time to first body byte, total) in ms."""
    body = {**BODY, "stream": stream}
    t = time.perf_counter()
    ttfb = None
    async with session.post(url, json=body) as resp:
        async for _ in resp.content.iter_any():
            if ttfb is None:
                ttfb = (time.perf_counter() - t) * 1000
        if resp.status != 200:
            raise RuntimeError(f"status {resp.status}")
    total = (time.perf_counter() - t) * 1000
    return ttfb if ttfb is not None else total, total


async def _sequential(url: str, n: int, stream: bool) -> list[tuple[float, float]]:
    async with aiohttp.ClientSession() as s:
        for _ in range(20):
            await _one(s, url, stream)
        return [await _one(s, url, stream) for _ in range(n)]


async def _throughput(url: str, concurrency: int, n: int) -> float:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        await asyncio.gather(*(_one(s, url, False) for _ in range(concurrency)))
        todo = iter(range(n))

        async def worker() -> None:
            for _ in todo:
                await _one(s, url, False)

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["bench", "upstream", "proxy"], default="bench")
    parser.add_argument("--upstream", default="")
    parser.add_argument("--n", type=int, default=500, help="sequential requests per latency figure")
    parser.add_argument("--litellm", default=LITELLM_DEFAULT,
                        help="LiteLLM's CLI, measured side by side when it exists ('' to skip)")
    args = parser.parse_args()
    if args.role == "upstream":
        return run_upstream()
    if args.role == "proxy":
        return run_proxy(args.upstream)

    started = time.perf_counter()
    up, port = _spawn("--role", "upstream")
    upstream = f"http://127.0.0.1:{port}"
    px, proxy_url = _spawn("--role", "proxy", "--upstream", upstream)
    direct = f"{upstream}/local/v1/chat/completions"
    tmpdir = tempfile.TemporaryDirectory(prefix="proxy-bench-")
    litellm_proc: subprocess.Popen[bytes] | None = None
    routed = f"{proxy_url}/cells/bench.a.always-local.s1/always-local/v1/chat/completions"
    try:
        # Direct and proxied figures are taken back to back (and requests/s as the best of two rounds) so
        # that background load on a shared machine affects both sides alike.
        results: dict[str, dict[str, Any]] = {"direct": {"rps": {}}, "proxy": {"rps": {}}}
        targets: tuple[tuple[str, str], ...] = (("direct", direct), ("proxy", routed))
        litellm_note = "LiteLLM not measured: --litellm ''"
        if args.litellm:
            litellm_proc, got = _start_litellm(args.litellm, upstream, tmpdir.name)
            if litellm_proc is not None:
                results["litellm"] = {"rps": {}}
                targets = (*targets, ("litellm", f"{got}/v1/chat/completions"))
            litellm_note = got
        for name, url in targets:
            try:
                ns = asyncio.run(_sequential(url, args.n, stream=False))
                st = asyncio.run(_sequential(url, args.n // 2, stream=True))
            except (aiohttp.ClientError, RuntimeError) as exc:
                if name != "litellm":
                    raise
                results.pop("litellm", None)
                litellm_note = f"LiteLLM not measured: its proxy failed under load ({type(exc).__name__}: {exc})"
                continue
            totals = [t for _, t in ns]
            ttfbs = [f for f, _ in st]
            results[name].update({
                "mean": statistics.fmean(totals), "p50": statistics.median(totals), "p99": _pct(totals, 0.99),
                "ttfb_p50": statistics.median(ttfbs), "ttfb_p99": _pct(ttfbs, 0.99),
            })
        for c, n in ((1, 300), (8, 800), (64, 1600)):
            for _round in range(2):
                for name, url in targets:
                    if name not in results:
                        continue
                    try:
                        rps = asyncio.run(_throughput(url, c, n))
                    except (aiohttp.ClientError, RuntimeError) as exc:
                        if name != "litellm":
                            raise
                        results.pop("litellm", None)
                        litellm_note = (f"LiteLLM not measured: its proxy failed at concurrency {c} "
                                        f"({type(exc).__name__}: {exc})")
                        continue
                    results[name]["rps"][c] = max(rps, results[name]["rps"].get(c, 0.0))
        d, p = results["direct"], results["proxy"]
        ll = results.get("litellm")
        print(f"proxy overhead on loopback ({os.cpu_count()} cores, zero-latency upstream, n={args.n})")
        extra_head = f"{'litellm':>10}{'ll added':>10}{'ll/ours':>9}" if ll else ""
        print(f"{'':28}{'direct':>10}{'proxy':>10}{'added':>10}{extra_head}")
        for key, label in (("mean", "non-stream mean ms"), ("p50", "non-stream p50 ms"), ("p99", "non-stream p99 ms"),
                           ("ttfb_p50", "stream first byte p50 ms"), ("ttfb_p99", "stream first byte p99 ms")):
            extra = ""
            if ll:
                ours, theirs = p[key] - d[key], ll[key] - d[key]
                ratio = f"{theirs / ours:8.1f}x" if ours > 0 else f"{'-':>9}"
                extra = f"{ll[key]:10.2f}{theirs:+10.2f}{ratio}"
            print(f"{label:28}{d[key]:10.2f}{p[key]:10.2f}{p[key] - d[key]:+10.2f}{extra}")
        for c in (1, 8, 64):
            extra = f"{ll['rps'][c]:10.0f}{ll['rps'][c] / d['rps'][c]:9.0%} {p['rps'][c] / ll['rps'][c]:8.1f}x" if ll else ""
            print(f"{f'requests/s @ concurrency {c}':28}{d['rps'][c]:10.0f}{p['rps'][c]:10.0f}"
                  f"{p['rps'][c] / d['rps'][c]:9.0%} {extra}")
        if ll:
            print("ll added / ours: LiteLLM's added latency over ours; requests/s column: ours / LiteLLM's")
        else:
            print(litellm_note)
        print(f"(wall {time.perf_counter() - started:.1f} s)")
    finally:
        if litellm_proc is not None:
            litellm_proc.terminate()
            try:
                litellm_proc.wait(10)
            except subprocess.TimeoutExpired:
                litellm_proc.kill()
        tmpdir.cleanup()
        for proc in (px, up):
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
