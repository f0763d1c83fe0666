from __future__ import annotations

from webapp.http import Handler, Request, Response, chain
from webapp.ratelimit import rate_limit


def router(request: Request) -> Response:
    if request.path == "/health":
        return Response(200, "ok")
    if request.path == "/items" and request.method == "GET":
        return Response(200, "[]")
    return Response(404, "not found")


def access_log(log: list) -> "callable":
    def middleware(handler: Handler) -> Handler:
        def wrapped(request: Request) -> Response:
            response = handler(request)
            log.append((request.client_ip, request.method, request.path, response.status))
            return response

        return wrapped

    return middleware


def client_key(request: Request):
    """Health checks are never limited; everything else is limited per client IP."""
    if request.path == "/health":
        return None
    return request.client_ip


def build_app(log: list | None = None, limiter=None) -> Handler:
    log = [] if log is None else log
    if limiter is None:
        return chain(router, access_log(log))
    return chain(router, access_log(log), rate_limit(limiter, client_key))
