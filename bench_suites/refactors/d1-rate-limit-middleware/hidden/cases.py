"""Checks for d1-rate-limit-middleware, run by the cases scorer: each case returns what it observed; the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import approx, case, raised
from webapp.app import build_app
from webapp.http import Request, Response, chain
from webapp.ratelimit import Decision, FixedWindowLimiter, SlidingWindowLimiter, rate_limit


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def decision(d):
    """What `d == Decision(a, r, s)` compares: the class (identity: no object can fake `is`), then the fields."""
    return [type(d) is Decision, d.allowed, d.remaining, d.retry_after]


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[[True, True, True, False], [2, 1, 0, 0], True])
def visible_fixed_window_allows_limit_then_refuses():
    clock = Clock(100.0)
    lim = FixedWindowLimiter(3, 10, clock)
    got = [lim.hit("a") for _ in range(4)]
    return [[d.allowed for d in got], [d.remaining for d in got], lim.hit("b").allowed]


@case(expect=[True, True, False])
def visible_sliding_window_basic():
    clock = Clock(0.0)
    lim = SlidingWindowLimiter(2, 60, clock)
    out = [lim.hit("a").allowed]
    clock.t = 30
    out.append(lim.hit("a").allowed)
    clock.t = 45
    out.append(lim.hit("a").allowed)
    return out


@case(expect=[200, 429, 200])
def visible_app_returns_429_when_limited():
    clock = Clock(0.0)
    app = build_app(limiter=FixedWindowLimiter(1, 60, clock))
    return [app(Request("GET", "/items", "10.0.0.1")).status, app(Request("GET", "/items", "10.0.0.1")).status,
            app(Request("GET", "/items", "10.0.0.2")).status]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[True, True, [True, False, 0, 5.0], False,
              [True, True, 1, 0.0]])
def fixed_windows_are_aligned_and_report_retry_after():
    clock = Clock(95.0)
    lim = FixedWindowLimiter(2, 10, clock)
    out = [lim.hit("k").allowed, lim.hit("k").allowed, decision(lim.hit("k"))]
    clock.t = 99.999
    out.append(lim.hit("k").allowed)
    clock.t = 100.0  # a new window starts at a multiple of window_s
    out.append(decision(lim.hit("k")))
    return out


@case(expect=[[True, False, 0, 40.0], False, [True, True, 0, 0.0],
              [False, approx(0.5, rel=1e-6, abs=1e-12)], True])
def sliding_window_expiry_boundary_and_denials_not_counted():
    clock = Clock(0.0)
    lim = SlidingWindowLimiter(2, 60, clock)
    lim.hit("a")
    clock.t = 10
    lim.hit("a")
    clock.t = 20
    out = [decision(lim.hit("a"))]
    clock.t = 59.9
    out.append(lim.hit("a").allowed)
    clock.t = 60.0  # the hit at t=0 has left the window exactly now
    out.append(decision(lim.hit("a")))
    clock.t = 69.5
    d = lim.hit("a")
    out.append([d.allowed, d.retry_after])
    clock.t = 70.0
    out.append(lim.hit("a").allowed)
    return out


@case(expect=raised("ValueError"))
def invalid_configuration_rejected_fixed():
    return FixedWindowLimiter(0, 10, Clock())


@case(expect=raised("ValueError"))
def invalid_configuration_rejected_sliding():
    return SlidingWindowLimiter(1, 0, Clock())


@case(expect=[(200, "1"), "0", 429, "rate limit exceeded", {"Retry-After": "20", "X-RateLimit-Remaining": "0"},
              ["/x", "/x"]])
def middleware_headers_and_retry_after_rounds_up():
    clock = Clock(0.0)
    calls = []

    def handler(req):
        calls.append(req.path)
        return Response(200, "hi")

    app = chain(handler, rate_limit(SlidingWindowLimiter(2, 30, clock)))
    r1 = app(Request("GET", "/x", "1.1.1.1"))
    out = [(r1.status, r1.headers["X-RateLimit-Remaining"])]
    clock.t = 0.25
    out.append(app(Request("GET", "/x", "1.1.1.1")).headers["X-RateLimit-Remaining"])
    clock.t = 10.5
    r3 = app(Request("GET", "/x", "1.1.1.1"))
    out += [r3.status, r3.body, r3.headers]
    out.append(calls)  # the refused request never reached the handler
    return out


@case(check="custom_key_and_exemption")
def custom_key_func_and_exemption():
    clock = Clock(0.0)
    app = chain(
        lambda req: Response(200),
        rate_limit(FixedWindowLimiter(1, 60, clock), key_func=lambda req: req.headers.get("X-Api-Key")),
    )
    out = [app(Request("GET", "/", "1.1.1.1", {"X-Api-Key": "k1"})).status,
           app(Request("GET", "/", "2.2.2.2", {"X-Api-Key": "k1"})).status]
    for _ in range(3):
        r = app(Request("GET", "/", "1.1.1.1"))
        out.append([r.status, r.headers])
    return out


@case(expect=[[200, 200, 200], 200, 429, ("9.9.9.9", "GET", "/nope", 429), 5, 200])
def app_logs_429_and_never_limits_health_checks():
    clock = Clock(0.0)
    log = []
    app = build_app(log, limiter=FixedWindowLimiter(1, 60, clock))
    out = [[app(Request("GET", "/health", "9.9.9.9")).status for _ in range(3)]]
    out.append(app(Request("GET", "/items", "9.9.9.9")).status)
    out.append(app(Request("GET", "/nope", "9.9.9.9")).status)
    out += [log[-1], len(log)]
    out.append(build_app()(Request("GET", "/items")).status)
    return out
