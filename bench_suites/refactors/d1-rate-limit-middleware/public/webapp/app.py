from __future__ import annotations

from webapp.http import Handler, Request, Response, chain


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


def build_app(log: list | None = None) -> Handler:
    log = [] if log is None else log
    return chain(router, access_log(log))
