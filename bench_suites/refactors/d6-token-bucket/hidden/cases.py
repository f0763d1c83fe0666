"""Checks for d6-token-bucket, run by the cases scorer. Each case drives the bucket with a fake clock and
returns what it observed (levels, acquire results, wait times, stats, ``attempt(...)`` results for calls that
should raise); the ``expect=`` literals are stripped before this file enters the sandbox and compared outside
it. ``approx(x, rel=1e-6, abs=1e-12)`` is pytest.approx's default tolerance, which the old tests used."""

from hybrid_cases import approx, attempt, case, raised
from token_bucket import TokenBucket


class FakeClock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def visible_clock():
    return FakeClock(0.0)  # the visible tests' starting time


def hidden_clock():
    return FakeClock(500.0)  # the hidden tests' starting time


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[True, True, True, False])
def visible_starts_full_and_drains():
    b = TokenBucket(3, 1, clock=visible_clock())
    return [b.try_acquire() for _ in range(4)]


@case(expect=[approx(1.0, rel=1e-6, abs=1e-12), True, False])
def visible_refills_over_time():
    clock = visible_clock()
    b = TokenBucket(2, 4, clock=clock, initial_tokens=0)
    clock.t = 0.25
    return [b.tokens, b.try_acquire(), b.try_acquire()]


@case(expect=5)
def visible_never_exceeds_capacity():
    clock = visible_clock()
    b = TokenBucket(5, 10, clock=clock)
    clock.t = 100
    return b.tokens


@case(expect=0.0)
def visible_wait_time_zero_when_available():
    return TokenBucket(4, 2, clock=visible_clock()).wait_time(4)


@case(expect=raised("ValueError"))
def visible_request_larger_than_capacity_is_an_error():
    b = TokenBucket(4, 2, clock=visible_clock())
    return b.try_acquire(5)


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[approx(1.0, rel=1e-6, abs=1e-12), 0.0])
def wait_time_accounts_for_partial_tokens():
    b = TokenBucket(10, 2, clock=hidden_clock(), initial_tokens=3)
    return [b.wait_time(5), b.wait_time(3)]


@case(expect=[approx(1.5, rel=1e-6, abs=1e-12), True, approx(0.0, rel=1e-6, abs=1e-12)])
def wait_time_then_acquire_succeeds():
    clock = hidden_clock()
    b = TokenBucket(8, 4, clock=clock, initial_tokens=0)
    w = b.wait_time(6)
    clock.t += w
    return [w, b.try_acquire(6), b.tokens]


@case(expect=4)
def wait_time_does_not_consume():
    b = TokenBucket(4, 1, clock=hidden_clock())
    b.wait_time(2)
    b.wait_time(4)
    return b.tokens


@case(expect=[False, 4, True])
def failed_acquire_takes_nothing():
    b = TokenBucket(10, 1, clock=hidden_clock(), initial_tokens=4)
    return [b.try_acquire(5), b.tokens, b.try_acquire(4)]


@case(expect=[True, True, False, True])
def fractional_acquire():
    clock = hidden_clock()
    b = TokenBucket(1, 0.5, clock=clock)
    seen = [b.try_acquire(0.25), b.try_acquire(0.75), b.try_acquire(0.5)]
    clock.t += 1
    return [*seen, b.try_acquire(0.5)]


@case(expect=[5, approx(7, rel=1e-6, abs=1e-12)])
def clock_going_backwards_neither_adds_nor_removes():
    clock = hidden_clock()
    b = TokenBucket(10, 1, clock=clock, initial_tokens=5)
    clock.t -= 3
    first = b.tokens
    clock.t += 2
    return [first, b.tokens]


@case(expect=[True, approx(1, rel=1e-6, abs=1e-12)])
def refill_measured_from_last_consultation():
    clock = hidden_clock()
    b = TokenBucket(10, 1, clock=clock, initial_tokens=0)
    clock.t += 2
    got = b.try_acquire(2)
    clock.t += 1
    return [got, b.tokens]


@case(expect=[True, False])
def idle_refill_is_capped_then_drains():
    clock = hidden_clock()
    b = TokenBucket(3, 100, clock=clock, initial_tokens=0)
    clock.t += 60
    return [b.try_acquire(3), b.try_acquire(0.5)]


@case(expect={"granted": 2, "denied": 1, "tokens_granted": 2.0})
def stats_counts():
    b = TokenBucket(2, 1, clock=hidden_clock())
    b.try_acquire(1.5)
    b.try_acquire(1)
    b.try_acquire(0.5)
    return b.stats()


@case(expect=[[raised("ValueError"), raised("ValueError"), 0]] * 3)
def invalid_request_sizes():
    out = []
    for n in (0, -1, 2.5):
        b = TokenBucket(2, 1, clock=hidden_clock())
        out.append([attempt(b.try_acquire, n), attempt(b.wait_time, n), b.stats()["denied"]])
    return out


@case(expect=[raised("ValueError")] * 4)
def invalid_construction():
    return [attempt(TokenBucket, *args, clock=hidden_clock()) for args in ((0, 1), (-1, 1), (5, 0), (5, -2))]


@case(expect=[raised("ValueError")] * 2)
def initial_tokens_out_of_range():
    return [attempt(TokenBucket, 5, 1, clock=hidden_clock(), initial_tokens=initial) for initial in (-0.5, 5.5)]


@case(expect=[0, 5])
def initial_tokens_bounds_accepted():
    clock = hidden_clock()
    return [TokenBucket(5, 1, clock=clock, initial_tokens=0).tokens,
            TokenBucket(5, 1, clock=clock, initial_tokens=5).tokens]


@case(expect=1)
def constructor_reads_clock_as_start():
    clock = hidden_clock()
    clock.t = 1_000_000.0
    b = TokenBucket(4, 1, clock=clock, initial_tokens=1)
    return b.tokens
