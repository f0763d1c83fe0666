import pytest
from token_bucket import TokenBucket


class FakeClock:
    def __init__(self, t: float = 500.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return FakeClock()


def test_wait_time_accounts_for_partial_tokens(clock):
    b = TokenBucket(10, 2, clock=clock, initial_tokens=3)
    assert b.wait_time(5) == pytest.approx(1.0)
    assert b.wait_time(3) == 0.0


def test_wait_time_then_acquire_succeeds(clock):
    b = TokenBucket(8, 4, clock=clock, initial_tokens=0)
    w = b.wait_time(6)
    assert w == pytest.approx(1.5)
    clock.t += w
    assert b.try_acquire(6)
    assert b.tokens == pytest.approx(0.0)


def test_wait_time_does_not_consume(clock):
    b = TokenBucket(4, 1, clock=clock)
    b.wait_time(2)
    b.wait_time(4)
    assert b.tokens == 4


def test_failed_acquire_takes_nothing(clock):
    b = TokenBucket(10, 1, clock=clock, initial_tokens=4)
    assert not b.try_acquire(5)
    assert b.tokens == 4
    assert b.try_acquire(4)


def test_fractional_acquire(clock):
    b = TokenBucket(1, 0.5, clock=clock)
    assert b.try_acquire(0.25)
    assert b.try_acquire(0.75)
    assert not b.try_acquire(0.5)
    clock.t += 1
    assert b.try_acquire(0.5)


def test_clock_going_backwards_neither_adds_nor_removes(clock):
    b = TokenBucket(10, 1, clock=clock, initial_tokens=5)
    clock.t -= 3
    assert b.tokens == 5
    clock.t += 2
    assert b.tokens == pytest.approx(7)


def test_refill_measured_from_last_consultation(clock):
    b = TokenBucket(10, 1, clock=clock, initial_tokens=0)
    clock.t += 2
    assert b.try_acquire(2)
    clock.t += 1
    assert b.tokens == pytest.approx(1)


def test_idle_refill_is_capped_then_drains(clock):
    b = TokenBucket(3, 100, clock=clock, initial_tokens=0)
    clock.t += 60
    assert b.try_acquire(3)
    assert not b.try_acquire(0.5)


def test_stats_counts(clock):
    b = TokenBucket(2, 1, clock=clock)
    b.try_acquire(1.5)
    b.try_acquire(1)
    b.try_acquire(0.5)
    assert b.stats() == {"granted": 2, "denied": 1, "tokens_granted": 2.0}


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_invalid_request_sizes(clock, n):
    b = TokenBucket(2, 1, clock=clock)
    with pytest.raises(ValueError):
        b.try_acquire(n)
    with pytest.raises(ValueError):
        b.wait_time(n)
    assert b.stats()["denied"] == 0


@pytest.mark.parametrize("args", [(0, 1), (-1, 1), (5, 0), (5, -2)])
def test_invalid_construction(args):
    with pytest.raises(ValueError):
        TokenBucket(*args, clock=FakeClock())


@pytest.mark.parametrize("initial", [-0.5, 5.5])
def test_initial_tokens_out_of_range(initial):
    with pytest.raises(ValueError):
        TokenBucket(5, 1, clock=FakeClock(), initial_tokens=initial)


def test_initial_tokens_bounds_accepted(clock):
    assert TokenBucket(5, 1, clock=clock, initial_tokens=0).tokens == 0
    assert TokenBucket(5, 1, clock=clock, initial_tokens=5).tokens == 5


def test_constructor_reads_clock_as_start(clock):
    clock.t = 1_000_000.0
    b = TokenBucket(4, 1, clock=clock, initial_tokens=1)
    assert b.tokens == 1
