"""The one place that removes secrets from text the proxy relays or records.

Upstreams echo credentials back: an error body that quotes the ``Authorization`` header once put a full
API key into an agent's log, a row's ``reason`` and the terminal. Everything the proxy hands to an agent
or writes down (error bodies, stream error events, relayed headers, call-record errors and reasons, the
exchange store, log lines) goes through a :class:`Redactor` built from the proxy's own secrets.

Two strengths, because replies are the thing being measured:

- ``text``/``body`` (*broad*): the configured keys, any ``Bearer …`` value and ``sk-…``-like tokens. For
  error bodies, error events, error messages and logs, where no model content is at stake.
- ``content`` (*exact*): only the configured keys, verbatim. For successful replies, which the proxy must
  relay unaltered: a model that writes ``Authorization: Bearer {token}`` into code must keep it, while a
  reply that somehow carries the real key still loses it. With no keys configured this is a no-op.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Mapping

from pytest_hybrid_eval.routing.sse import split_events

MASK = "[REDACTED]"
#: Shorter "keys" (dummy values like ``x``) would blank out ordinary text; the patterns still catch them
#: in a ``Bearer`` header echo.
MIN_SECRET_LEN = 6
_PATTERNS = (
    r"(?i:bearer)\s+[^\s\"'\\,;]+",           # an echoed Authorization header value
    r"\bsk-[A-Za-z0-9_\-]{16,}",              # OpenAI/Anthropic-style secret keys
)
#: Loggers whose lines can carry a request line (the secret path) or an upstream's words (a key).
LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.client", "aiohttp.internal", "asyncio")


def _variants(secret: str) -> list[str]:
    """The secret as it may appear in a body: verbatim, and JSON-escaped (``/`` as ``\\/``)."""
    out = [secret]
    if "/" in secret:
        out.append(secret.replace("/", "\\/"))
    return out


class Redactor:
    """Masks a fixed set of secrets (longest first) plus credential-shaped tokens; safe to share."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        keys = sorted({v for s in secrets if s and len(s) >= MIN_SECRET_LEN for v in _variants(s)},
                      key=len, reverse=True)
        exact = "|".join(re.escape(k) for k in keys)
        self._exact_s = re.compile(exact) if keys else None
        self._exact_b = re.compile(exact.encode()) if keys else None
        broad = "|".join([exact, *_PATTERNS] if keys else _PATTERNS)
        self._broad_s = re.compile(broad)
        self._broad_b = re.compile(broad.encode())

    @staticmethod
    def _mask(m: re.Match[str]) -> str:
        return "Bearer " + MASK if m.group(0)[:6].lower() == "bearer" else MASK

    @staticmethod
    def _mask_b(m: re.Match[bytes]) -> bytes:
        return b"Bearer " + MASK.encode() if m.group(0)[:6].lower() == b"bearer" else MASK.encode()

    def text(self, value: str) -> str:
        """Broad redaction of a message (error text, reason, log line)."""
        return self._broad_s.sub(self._mask, value) if self._broad_s.search(value) else value

    def optional(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def body(self, data: bytes) -> bytes:
        """Broad redaction of an error body or error event as relayed bytes."""
        return self._broad_b.sub(self._mask_b, data) if self._broad_b.search(data) else data

    def content(self, data: bytes) -> bytes:
        """Exact-key redaction of a successful reply (its content is otherwise left byte for byte)."""
        if self._exact_b is None or self._exact_b.search(data) is None:
            return data
        return self._exact_b.sub(MASK.encode(), data)

    def header(self, value: str) -> str:
        return self.text(value)

    def event(self, raw: bytes) -> bytes:
        """One whole SSE event of a 200 stream: broad when it is an error event, else exact keys only."""
        if b'"error"' in raw or b"event: error" in raw or b"event:error" in raw:
            return self.body(raw)
        return self.content(raw)

    def reply(self, status: int, content_type: str | None, data: bytes) -> bytes:
        """A whole upstream reply as the proxy relays it: error bodies broadly, SSE streams event by event,
        other successful bodies by exact key (used where a reply is stored rather than relayed)."""
        if status != 200:
            return self.body(data)
        if content_type and "event-stream" in content_type:
            return b"".join(self.event(e) for e in split_events(data))
        return self.content(data)


class RedactingLogFilter(logging.Filter):
    """Rewrites log records (message, arguments and traceback) through a redactor before any handler
    formats them. Attached to the loggers that can print a request line or an upstream's words."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record must still not print a secret
            msg = f"{record.msg} {record.args}"
        clean = self._redact.text(msg)
        if clean != msg or record.args:
            record.msg, record.args = clean, None
        if record.exc_info:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = self._redact.text(text), None
        elif record.exc_text:
            record.exc_text = self._redact.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact.text(record.stack_info)
        return True

    def install(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).addFilter(self)

    def uninstall(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeFilter(self)

    async def while_running(self, app: object) -> AsyncIterator[None]:
        """An aiohttp ``cleanup_ctx``: the filter is on exactly while the app serves."""
        self.install()
        try:
            yield
        finally:
            self.uninstall()


def backend_secrets(backends: Mapping[str, object]) -> list[str]:
    """The credentials the proxy's backends send upstream (through any recording wrapper)."""
    out: list[str] = []
    for backend in backends.values():
        inner = getattr(backend, "inner", backend)
        get = getattr(inner, "redaction_secrets", None)
        if callable(get):
            out.extend(get())
    return out
