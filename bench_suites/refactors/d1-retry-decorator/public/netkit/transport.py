from __future__ import annotations

from typing import Callable, Iterable

from netkit.errors import PermanentError, TransientError


class ScriptedTransport:
    """A transport that plays back a script: each entry is a response string or an exception to raise."""

    def __init__(self, script: Iterable[object]) -> None:
        self._script = list(script)
        self.requests: list[str] = []

    def request(self, path: str) -> str:
        self.requests.append(path)
        if not self._script:
            raise PermanentError("script exhausted")
        item = self._script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return str(item)


def always_failing(exc_factory: Callable[[], Exception] = lambda: TransientError("timeout")):
    return ScriptedTransport(exc_factory() for _ in range(100))
