"""Checks for d1-retry-decorator, run by the cases scorer: each case returns what it observed; the ``expect=``
literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import approx, attempt, case, raised
from netkit.client import Client
from netkit.errors import PermanentError, TransientError
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


def catch(fn, *args, **kwargs):
    """The exception object `fn` raised (what `pytest.raises(...) as info` keeps), or None."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the exception is the observation
        return exc
    return None


def as_raised(exc):
    """An exception object as an observation that `raised("Class")` can judge (its class, by raising it)."""

    def throw():
        raise exc

    return attempt(throw)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=["done", [1.0, 2.0]])
def visible_success_after_transient_failures():
    sleeps = []
    outcomes = [TransientError("a"), TransientError("b"), "done"]

    @retry(attempts=3, base_delay=1.0, sleep=sleeps.append)
    def flaky():
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return [flaky(), sleeps]


@case(expect=[raised("RetryError"), 2, raised("TransientError")])
def visible_gives_up_with_retry_error():
    calls = []

    @retry(attempts=2, base_delay=0.0, sleep=lambda s: None)
    def broken():
        calls.append(1)
        raise TransientError("down")

    err = catch(broken)
    return [as_raised(err), len(calls), as_raised(err.last_exception)]


@case(expect=["fetch_user", 1])
def visible_wraps_keeps_name():
    @retry(sleep=lambda s: None)
    def fetch_user():
        return 1

    return [fetch_user.__name__, fetch_user()]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[raised("RetryError"), 6, [0.5, 1.5, 4.5, 5, 5], 6, True, "failure 6"])
def exponential_backoff_capped_and_no_sleep_after_last_attempt():
    sleeps = []
    func, state = failing(10)
    wrapped = retry(attempts=6, base_delay=0.5, factor=3, max_delay=5, sleep=sleeps.append)(func)
    err = catch(wrapped)
    return [as_raised(err), state["calls"], sleeps, err.attempts,
            err.__cause__ is err.last_exception,  # identity: no object can fake `is`
            str(err.last_exception)]


@case(expect=[((1,), {"k": 2}), [approx(1.5, rel=1e-6, abs=1e-12), approx(5.0, rel=1e-6, abs=1e-12),
                                  approx(8.0, rel=1e-6, abs=1e-12)]])
def jitter_is_symmetric_and_uses_injected_rng():
    sleeps = []
    rolls = iter([0.0, 1.0, 0.5])
    func, _ = failing(3)
    wrapped = retry(attempts=4, base_delay=2, factor=2, jitter=0.25, sleep=sleeps.append, rng=lambda: next(rolls))(func)
    return [wrapped(1, k=2), sleeps]


@case(expect=[raised("PermanentError"), 1, []])
def non_matching_exceptions_propagate_immediately():
    sleeps = []
    func, state = failing(1, exc=PermanentError)
    wrapped = retry(attempts=5, retry_on=(TransientError,), sleep=sleeps.append)(func)
    return [attempt(wrapped), state["calls"], sleeps]


@case(expect=[[(1, "failure 1", 1.0), (2, "failure 2", 2.0)], raised("ValueError"), raised("RetryError"), [], 1])
def on_retry_callback_and_attempts_validation():
    seen = []
    func, _ = failing(2)
    wrapped = retry(attempts=3, base_delay=1, sleep=lambda s: None, on_retry=lambda n, e, d: seen.append((n, str(e), d)))(func)
    wrapped()
    out = [seen, attempt(retry, attempts=0)]
    one, st = failing(5)
    slept = []  # with a single attempt it must never sleep
    out += [attempt(retry(attempts=1, sleep=slept.append)(one)), slept, st["calls"]]
    return out


@case(expect=["payload", ["/v1/items"] * 3, [0.5, 1.0]])
def client_retries_transient_errors_with_its_sleep_and_rng():
    sleeps = []
    transport = ScriptedTransport([TransientError("t1"), TransientError("t2"), "payload"])
    client = Client(transport, sleep=sleeps.append, rng=lambda: 0.5)
    return [client.get("/v1/items"), transport.requests, sleeps]


@case(expect=[raised("RetryError"), 4, [approx(0.55, rel=1e-6, abs=1e-12), approx(1.1, rel=1e-6, abs=1e-12),
                                        approx(2.2, rel=1e-6, abs=1e-12)], raised("PermanentError"), 1])
def client_gives_up_after_four_attempts_and_not_on_permanent_errors():
    sleeps = []
    transport = always_failing()
    client = Client(transport, sleep=sleeps.append, rng=lambda: 1.0)
    out = [attempt(client.get, "/x"), len(transport.requests), list(sleeps)]
    t2 = ScriptedTransport([PermanentError("401")])
    out += [attempt(Client(t2, sleep=sleeps.append).get, "/y"), len(t2.requests)]
    return out
