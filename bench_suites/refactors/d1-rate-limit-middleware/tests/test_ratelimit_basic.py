from webapp.app import build_app
from webapp.http import Request
from webapp.ratelimit import FixedWindowLimiter, SlidingWindowLimiter


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def test_fixed_window_allows_limit_then_refuses():
    clock = Clock(100.0)
    lim = FixedWindowLimiter(3, 10, clock)
    got = [lim.hit("a") for _ in range(4)]
    assert [d.allowed for d in got] == [True, True, True, False]
    assert [d.remaining for d in got] == [2, 1, 0, 0]
    assert lim.hit("b").allowed


def test_sliding_window_basic():
    clock = Clock(0.0)
    lim = SlidingWindowLimiter(2, 60, clock)
    assert lim.hit("a").allowed
    clock.t = 30
    assert lim.hit("a").allowed
    clock.t = 45
    assert not lim.hit("a").allowed


def test_app_returns_429_when_limited():
    clock = Clock(0.0)
    app = build_app(limiter=FixedWindowLimiter(1, 60, clock))
    assert app(Request("GET", "/items", "10.0.0.1")).status == 200
    assert app(Request("GET", "/items", "10.0.0.1")).status == 429
    assert app(Request("GET", "/items", "10.0.0.2")).status == 200
