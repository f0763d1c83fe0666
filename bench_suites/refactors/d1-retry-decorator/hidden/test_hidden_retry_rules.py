import pytest
from netkit.client import Client
from netkit.errors import PermanentError, RetryError, TransientError
from netkit.retry import retry
from netkit.transport import ScriptedTransport, always_failing


def failing(n_failures, exc=TransientError):
    state = {"calls": 0}

    def func(*args, **kwargs):
        state["calls"] += 1
        if state["calls"] <= n_failures:
            raise exc(f"failure {state['calls']}")
        return (args, kwargs)

    return func, state


def test_exponential_backoff_capped_and_no_sleep_after_last_attempt():
    sleeps = []
    func, state = failing(10)
    wrapped = retry(attempts=6, base_delay=0.5, factor=3, max_delay=5, sleep=sleeps.append)(func)
    with pytest.raises(RetryError) as info:
        wrapped()
    assert state["calls"] == 6
    assert sleeps == [0.5, 1.5, 4.5, 5, 5]
    assert info.value.attempts == 6
    assert info.value.__cause__ is info.value.last_exception
    assert str(info.value.last_exception) == "failure 6"


def test_jitter_is_symmetric_and_uses_injected_rng():
    sleeps = []
    rolls = iter([0.0, 1.0, 0.5])
    func, _ = failing(3)
    wrapped = retry(attempts=4, base_delay=2, factor=2, jitter=0.25, sleep=sleeps.append, rng=lambda: next(rolls))(func)
    assert wrapped(1, k=2) == ((1,), {"k": 2})
    assert sleeps == [pytest.approx(1.5), pytest.approx(5.0), pytest.approx(8.0)]


def test_non_matching_exceptions_propagate_immediately():
    sleeps = []
    func, state = failing(1, exc=PermanentError)
    wrapped = retry(attempts=5, retry_on=(TransientError,), sleep=sleeps.append)(func)
    with pytest.raises(PermanentError):
        wrapped()
    assert state["calls"] == 1 and sleeps == []


def test_on_retry_callback_and_attempts_validation():
    seen = []
    func, _ = failing(2)
    wrapped = retry(attempts=3, base_delay=1, sleep=lambda s: None, on_retry=lambda n, e, d: seen.append((n, str(e), d)))(func)
    wrapped()
    assert seen == [(1, "failure 1", 1.0), (2, "failure 2", 2.0)]
    with pytest.raises(ValueError):
        retry(attempts=0)
    one, st = failing(5)
    with pytest.raises(RetryError):
        retry(attempts=1, sleep=lambda s: pytest.fail("must not sleep"))(one)()
    assert st["calls"] == 1


def test_client_retries_transient_errors_with_its_sleep_and_rng():
    sleeps = []
    transport = ScriptedTransport([TransientError("t1"), TransientError("t2"), "payload"])
    client = Client(transport, sleep=sleeps.append, rng=lambda: 0.5)
    assert client.get("/v1/items") == "payload"
    assert transport.requests == ["/v1/items"] * 3
    assert sleeps == [0.5, 1.0]


def test_client_gives_up_after_four_attempts_and_not_on_permanent_errors():
    sleeps = []
    transport = always_failing()
    client = Client(transport, sleep=sleeps.append, rng=lambda: 1.0)
    with pytest.raises(RetryError):
        client.get("/x")
    assert len(transport.requests) == 4
    assert sleeps == [pytest.approx(0.55), pytest.approx(1.1), pytest.approx(2.2)]
    t2 = ScriptedTransport([PermanentError("401")])
    with pytest.raises(PermanentError):
        Client(t2, sleep=sleeps.append).get("/y")
    assert len(t2.requests) == 1
