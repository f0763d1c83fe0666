"""Record every upstream exchange of a sweep, and replay a sweep from those records with no backend at all.

Recording wraps each tier's backend: the request goes upstream unchanged, and a copy of what came back (status,
the headers that matter, the exact bytes in the chunks the proxy read them, and how the read ended) is
written as one JSON file per exchange. Replay swaps the backends for ones that answer from those files, so a
real sweep can be re-run, re-scored or reproduced in CI without a model and at zero cost.

Key of an exchange: its position (cell id, call index, tier: the proxy numbers calls per cell) plus the
sha256 of the normalized request (method, path, sorted-keys JSON of the body as sent upstream, volatile
fields and volatile text removed). The position alone would silently answer a changed conversation with a
stale reply; the hash alone would confuse two identical calls of one cell. A miss is never papered over:
``ReplayMiss`` becomes HTTP 409 naming the cell, the call and the replay dir.

Volatile text: agents feed test output back to the model, and that output carries timings ("1 failed in
0.03s") and temporary directory names that differ on every run. Those are scrubbed before hashing (only
for the key; the bytes sent upstream and stored are untouched).

File layout: ``<dir>/<cell>/<call_index>-<tier>-<key[:24]>.json``; each file is written to a temporary name
in the same directory and renamed into place, so concurrent writers never expose a torn file and the last
complete write of a key wins.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from pytest_hybrid_eval.backends.base import Backend, BackendUnavailable
from pytest_hybrid_eval.backends.openai_compat import OpenAICompatBackend
from pytest_hybrid_eval.config import Retry, SweepConfig
from pytest_hybrid_eval.errors import ConfigError
from pytest_hybrid_eval.routing.redact import Redactor, backend_secrets

SCHEMA = 1
#: Internal header carrying a call's position from ``request_headers`` to ``open``; never sent upstream.
POSITION_HEADER = "X-Hybrid-Record-Position"
#: Body fields that identify a client or a session rather than the question asked.
VOLATILE_FIELDS = frozenset({"user", "metadata"})
_VOLATILE_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:in|took) \d+(?:\.\d+)?\s*(?:s|ms|seconds?)\b"), "in <duration>"),
    (re.compile(r"\(\d+:\d\d:\d\d(?:\.\d+)?\)"), "(<duration>)"),
    (re.compile(r"(?:/private)?/(?:tmp|var/folders|var/tmp)/[^\s'\":]+"), "<tmp>"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<addr>"),
)
#: Response headers that are about the connection or the moment, not the reply.
_SKIP_HEADERS = frozenset({"date", "server", "content-length", "transfer-encoding", "connection", "keep-alive",
                           "set-cookie", "content-encoding"})


class ReplayMiss(Exception):
    """A replayed sweep asked for an exchange that was never recorded (or whose request changed)."""

    def __init__(self, cell_id: str | None, call_index: int, tier: str, path: str, replay_dir: Path) -> None:
        self.cell_id, self.call_index, self.tier, self.path, self.replay_dir = cell_id, call_index, tier, path, replay_dir
        super().__init__(
            f"replay miss: no recorded exchange for cell {cell_id or '(standalone)'!r} call {call_index} "
            f"({tier} {path}) with this request in {replay_dir}; the conversation differs from the recording "
            "or the cell was not recorded; record it again with routing.record_dir")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, repl in _VOLATILE_TEXT:
            value = pattern.sub(repl, value)
        return value
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def normalized_request(method: str, path: str, body: bytes | None) -> bytes:
    """The canonical bytes an exchange is keyed on (see the module doc for what is left out)."""
    obj: Any = None
    if body:
        try:
            obj = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            obj = {"raw_sha256": hashlib.sha256(body).hexdigest()}
    if isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k not in VOLATILE_FIELDS}
    canon = {"method": method.upper(), "path": path.strip("/"), "body": _scrub(obj)}
    return json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def request_key(method: str, path: str, body: bytes | None) -> str:
    return hashlib.sha256(normalized_request(method, path, body)).hexdigest()


@dataclass(frozen=True)
class Position:
    """Where a call sits in its cell: what the proxy's counter said, and the tier it went to."""

    cell_id: str | None
    call_index: int
    tier: str

    def header(self) -> str:
        return json.dumps([self.cell_id, self.call_index, self.tier])

    @classmethod
    def pop(cls, headers: dict[str, str]) -> Position:
        """Take the position out of the outgoing headers (it must not travel upstream)."""
        raw = headers.pop(POSITION_HEADER, None)
        if raw is None:
            return cls(None, -1, "unknown")
        cell, index, tier = json.loads(raw)
        return cls(cell, int(index), str(tier))


def _cell_dir(cell_id: str | None) -> str:
    """A single safe path segment for a cell id (ids come from request paths: no traversal)."""
    if cell_id is None:
        return "_standalone"
    name = quote(cell_id, safe="-_.")
    return name if name.strip(".") else name.replace(".", "%2E")


class ExchangeStore:
    """One directory of exchanges; safe to write from concurrent tasks, threads or processes."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, pos: Position, key: str) -> Path:
        return self.root / _cell_dir(pos.cell_id) / f"{pos.call_index:05d}-{pos.tier}-{key[:24]}.json"

    def write(self, pos: Position, key: str, exchange: dict[str, Any]) -> Path:
        dest = self.path_for(pos, key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=dest.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(exchange, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest

    def read(self, pos: Position, key: str) -> dict[str, Any] | None:
        path = self.path_for(pos, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None  # a 24-hex prefix collision or a hand-edited file: treat as not recorded
        return data

    def exchanges(self) -> list[Path]:
        """Every stored exchange file (for inspection and tests)."""
        return sorted(p for p in self.root.glob("*/*.json") if not p.name.startswith(".tmp-"))


def _error_info(exc: BaseException) -> dict[str, str]:
    kind = "timeout" if isinstance(exc, TimeoutError) else (
        "payload" if isinstance(exc, aiohttp.ClientPayloadError) else "connection")
    return {"kind": kind, "type": type(exc).__name__, "message": str(exc)[:300]}


def _raise_recorded(err: dict[str, str]) -> None:
    if err.get("kind") == "timeout":
        raise TimeoutError(err.get("message") or "recorded read timeout")
    if err.get("kind") == "payload":
        raise aiohttp.ClientPayloadError(err.get("message") or "recorded broken payload")
    raise aiohttp.ClientConnectionError(err.get("message") or "recorded connection error")


class _TeeContent:
    def __init__(self, owner: _TeeResponse) -> None:
        self._owner = owner

    async def iter_any(self) -> AsyncIterator[bytes]:
        owner = self._owner
        try:
            async for chunk in owner.inner.content.iter_any():
                owner.chunks.append(chunk)
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            owner.error = _error_info(exc)
            raise
        owner.complete = True

    async def read(self) -> bytes:
        return await self._owner.read()


class _TeeResponse:
    """An upstream response that keeps a copy of the bytes read through it and stores them when released."""

    def __init__(self, inner: aiohttp.ClientResponse, save: Any) -> None:
        self.inner = inner
        self.status = inner.status
        self.headers = inner.headers
        self.content = _TeeContent(self)
        self.chunks: list[bytes] = []
        self.complete = False
        self.error: dict[str, str] | None = None
        self._save = save
        self._saved = False

    async def read(self) -> bytes:
        try:
            data = await self.inner.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.error = _error_info(exc)
            raise
        self.chunks, self.complete = [data], True
        return data

    def _finalize(self) -> None:
        if not self._saved:
            self._saved = True
            self._save(self)

    def release(self) -> None:
        self._finalize()
        self.inner.release()

    def close(self) -> None:
        self._finalize()
        self.inner.close()

    async def __aenter__(self) -> _TeeResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class RecordingBackend:
    """A backend that forwards to ``inner`` and stores each exchange in ``store``."""

    def __init__(self, inner: Backend, store: ExchangeStore, redact: Redactor | None = None) -> None:
        self.inner = inner
        self.store = store
        self.redact = redact if redact is not None else Redactor(backend_secrets({"inner": inner}))
        self.base_url, self.model, self.kind = inner.base_url, inner.model, inner.kind
        self.connect_s, self.read_s = inner.connect_s, inner.read_s

    def request_headers(self, cell_id: str | None, call_index: int, tier: str) -> dict[str, str]:
        return {**self.inner.request_headers(cell_id, call_index, tier),
                POSITION_HEADER: Position(cell_id, call_index, tier).header()}

    def prepare_body(self, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        return self.inner.prepare_body(body, stream=stream)

    async def open(self, session: aiohttp.ClientSession, method: str, path: str, *,
                   body: bytes | None, headers: dict[str, str], retry: Retry,
                   timeout: aiohttp.ClientTimeout | None = None) -> tuple[aiohttp.ClientResponse, int]:
        headers = dict(headers)
        pos = Position.pop(headers)
        key = request_key(method, path, body)
        base = {"schema": SCHEMA, "key": key, "cell_id": pos.cell_id, "call_index": pos.call_index,
                "tier": pos.tier, "method": method.upper(), "path": path,
                "request": body.decode("utf-8", "replace") if body else None,
                "recorded_at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        try:
            resp, retries = await self.inner.open(session, method, path, body=body, headers=headers, retry=retry,
                                                  timeout=timeout)
        except BackendUnavailable as exc:
            self.store.write(pos, key, {**base, "retries": exc.retries,
                                        "unavailable": {"message": self.redact.text(str(exc)),
                                                        "timeout": exc.timeout}})
            raise

        def save(tee: _TeeResponse) -> None:
            # The store holds what the proxy relays: an upstream that echoed the key leaves no key on disk
            # (such a reply is then kept as one chunk; every other reply keeps its chunks exactly).
            chunks, data = tee.chunks, b"".join(tee.chunks)
            clean = self.redact.reply(tee.status, tee.headers.get("Content-Type"), data)
            if clean != data:
                chunks = [clean]
            self.store.write(pos, key, {
                **base, "retries": retries, "status": tee.status,
                "headers": [[k, self.redact.header(v)] for k, v in tee.headers.items()
                            if k.lower() not in _SKIP_HEADERS],
                "chunks": [base64.b64encode(c).decode("ascii") for c in chunks],
                "complete": tee.complete,
                "error": {**tee.error, "message": self.redact.text(tee.error.get("message", ""))} if tee.error else None})

        return _TeeResponse(resp, save), retries  # type: ignore[return-value]


class _ReplayContent:
    def __init__(self, chunks: list[bytes], error: dict[str, str] | None) -> None:
        self._chunks, self._error = chunks, error

    async def iter_any(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk
        if self._error:
            _raise_recorded(self._error)

    async def read(self) -> bytes:
        if self._error:
            _raise_recorded(self._error)
        return b"".join(self._chunks)


class _ReplayResponse:
    """Looks like the upstream response the proxy read when the exchange was recorded."""

    def __init__(self, status: int, headers: list[list[str]], chunks: list[bytes],
                 error: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = CIMultiDictProxy(CIMultiDict((k, v) for k, v in headers))
        self.content = _ReplayContent(chunks, error)

    async def read(self) -> bytes:
        return await self.content.read()

    def release(self) -> None:
        return None

    def close(self) -> None:
        return None

    async def __aenter__(self) -> _ReplayResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class ReplayBackend(OpenAICompatBackend):
    """A tier answered from an exchange store; it never opens a connection."""

    def __init__(self, tier: str, model: str, store: ExchangeStore) -> None:
        super().__init__(f"replay://{store.root}/{tier}", model, kind="replay")
        self.store = store
        self.tier = tier

    def request_headers(self, cell_id: str | None, call_index: int, tier: str) -> dict[str, str]:
        return {POSITION_HEADER: Position(cell_id, call_index, tier).header()}

    async def open(self, session: aiohttp.ClientSession, method: str, path: str, *,
                   body: bytes | None, headers: dict[str, str], retry: Retry,
                   timeout: aiohttp.ClientTimeout | None = None) -> tuple[aiohttp.ClientResponse, int]:
        headers = dict(headers)
        pos = Position.pop(headers)
        if method.upper() == "GET" and path.strip("/") == "models":
            # health probes and model listings: the store is the backend, and it is there
            listing = json.dumps({"object": "list", "data": [{"id": self.model, "object": "model"}]}).encode()
            return _ReplayResponse(200, [["Content-Type", "application/json"]], [listing]), 0  # type: ignore[return-value]
        key = request_key(method, path, body)
        rec = self.store.read(pos, key)
        if rec is None:
            raise ReplayMiss(pos.cell_id, pos.call_index, pos.tier, path, self.store.root)
        if rec.get("unavailable"):
            info = rec["unavailable"]
            raise BackendUnavailable(str(info.get("message")), retries=int(rec.get("retries", 0)),
                                     timeout=bool(info.get("timeout")))
        chunks = [base64.b64decode(c) for c in rec.get("chunks") or []]
        resp = _ReplayResponse(int(rec["status"]), rec.get("headers") or [], chunks, rec.get("error"))
        return resp, int(rec.get("retries", 0))  # type: ignore[return-value]


def wrap_for_recording(backends: dict[str, Backend], record_dir: Path | str) -> dict[str, Backend]:
    """Each tier's backend, recording into ``record_dir``."""
    store = ExchangeStore(record_dir)
    store.root.mkdir(parents=True, exist_ok=True)
    redact = Redactor(backend_secrets(backends))
    return {tier: RecordingBackend(b, store, redact) for tier, b in backends.items()}  # type: ignore[misc]


def replay_backends(config: SweepConfig, replay_dir: Path | str) -> dict[str, Backend]:
    """Both tiers answered from ``replay_dir``; a missing or empty dir is an error now, not at the first call."""
    store = ExchangeStore(replay_dir)
    if not store.root.is_dir() or not any(store.root.iterdir()):
        raise ConfigError(f"routing.replay_dir {store.root} holds no recorded exchanges; "
                                "record a sweep first with routing.record_dir")
    return {"local": ReplayBackend("local", config.models.local.name, store),
            "cloud": ReplayBackend("cloud", config.models.cloud.name, store)}


def provenance_backend(config: SweepConfig) -> str:
    """What a row's ``provenance.backend`` (and local/cloud_backend) must say: "replay" when replaying."""
    return "replay" if config.routing.replay_dir else config.backend
