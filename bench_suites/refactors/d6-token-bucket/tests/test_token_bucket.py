import pytest
from token_bucket import TokenBucket


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_starts_full_and_drains():
    clock = FakeClock()
    b = TokenBucket(3, 1, clock=clock)
    assert [b.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_refills_over_time():
    clock = FakeClock()
    b = TokenBucket(2, 4, clock=clock, initial_tokens=0)
    clock.t = 0.25
    assert b.tokens == pytest.approx(1.0)
    assert b.try_acquire()
    assert not b.try_acquire()


def test_never_exceeds_capacity():
    clock = FakeClock()
    b = TokenBucket(5, 10, clock=clock)
    clock.t = 100
    assert b.tokens == 5


def test_wait_time_zero_when_available():
    b = TokenBucket(4, 2, clock=FakeClock())
    assert b.wait_time(4) == 0.0


def test_request_larger_than_capacity_is_an_error():
    b = TokenBucket(4, 2, clock=FakeClock())
    with pytest.raises(ValueError):
        b.try_acquire(5)
