import pytest
from webapp.app import build_app
from webapp.http import Request, Response, chain
from webapp.ratelimit import Decision, FixedWindowLimiter, SlidingWindowLimiter, rate_limit


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def test_fixed_windows_are_aligned_and_report_retry_after():
    clock = Clock(95.0)
    lim = FixedWindowLimiter(2, 10, clock)
    assert lim.hit("k").allowed and lim.hit("k").allowed
    d = lim.hit("k")
    assert d == Decision(False, 0, 5.0)
    clock.t = 99.999
    assert not lim.hit("k").allowed
    clock.t = 100.0  # a new window starts at a multiple of window_s
    assert lim.hit("k") == Decision(True, 1, 0.0)


def test_sliding_window_expiry_boundary_and_denials_not_counted():
    clock = Clock(0.0)
    lim = SlidingWindowLimiter(2, 60, clock)
    lim.hit("a")
    clock.t = 10
    lim.hit("a")
    clock.t = 20
    assert lim.hit("a") == Decision(False, 0, 40.0)
    clock.t = 59.9
    assert not lim.hit("a").allowed
    clock.t = 60.0  # the hit at t=0 has left the window exactly now
    assert lim.hit("a") == Decision(True, 0, 0.0)
    clock.t = 69.5
    d = lim.hit("a")
    assert not d.allowed and d.retry_after == pytest.approx(0.5)
    clock.t = 70.0
    assert lim.hit("a").allowed


def test_invalid_configuration_rejected():
    with pytest.raises(ValueError):
        FixedWindowLimiter(0, 10, Clock())
    with pytest.raises(ValueError):
        SlidingWindowLimiter(1, 0, Clock())


def test_middleware_headers_and_retry_after_rounds_up():
    clock = Clock(0.0)
    calls = []

    def handler(req):
        calls.append(req.path)
        return Response(200, "hi")

    app = chain(handler, rate_limit(SlidingWindowLimiter(2, 30, clock)))
    r1 = app(Request("GET", "/x", "1.1.1.1"))
    assert (r1.status, r1.headers["X-RateLimit-Remaining"]) == (200, "1")
    clock.t = 0.25
    assert app(Request("GET", "/x", "1.1.1.1")).headers["X-RateLimit-Remaining"] == "0"
    clock.t = 10.5
    r3 = app(Request("GET", "/x", "1.1.1.1"))
    assert r3.status == 429
    assert r3.body == "rate limit exceeded"
    assert r3.headers == {"Retry-After": "20", "X-RateLimit-Remaining": "0"}
    assert calls == ["/x", "/x"]  # the refused request never reached the handler


def test_custom_key_func_and_exemption():
    clock = Clock(0.0)
    app = chain(
        lambda req: Response(200),
        rate_limit(FixedWindowLimiter(1, 60, clock), key_func=lambda req: req.headers.get("X-Api-Key")),
    )
    assert app(Request("GET", "/", "1.1.1.1", {"X-Api-Key": "k1"})).status == 200
    assert app(Request("GET", "/", "2.2.2.2", {"X-Api-Key": "k1"})).status == 429
    for _ in range(3):
        r = app(Request("GET", "/", "1.1.1.1"))
        assert r.status == 200 and "X-RateLimit-Remaining" not in r.headers


def test_app_logs_429_and_never_limits_health_checks():
    clock = Clock(0.0)
    log = []
    app = build_app(log, limiter=FixedWindowLimiter(1, 60, clock))
    for _ in range(3):
        assert app(Request("GET", "/health", "9.9.9.9")).status == 200
    assert app(Request("GET", "/items", "9.9.9.9")).status == 200
    assert app(Request("GET", "/nope", "9.9.9.9")).status == 429
    assert log[-1] == ("9.9.9.9", "GET", "/nope", 429)
    assert len(log) == 5
    assert build_app()(Request("GET", "/items")).status == 200
