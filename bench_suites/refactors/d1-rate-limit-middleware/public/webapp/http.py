from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

Handler = Callable[["Request"], "Response"]
Middleware = Callable[[Handler], Handler]


@dataclass
class Request:
    method: str
    path: str
    client_ip: str = "127.0.0.1"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def chain(handler: Handler, *middlewares: Middleware) -> Handler:
    """Wrap `handler` so that the FIRST middleware listed is the outermost one."""
    for middleware in reversed(middlewares):
        handler = middleware(handler)
    return handler
