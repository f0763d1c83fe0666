import pytest
from netkit.errors import RetryError, TransientError
from netkit.retry import retry


def test_success_after_transient_failures():
    sleeps = []
    outcomes = [TransientError("a"), TransientError("b"), "done"]

    @retry(attempts=3, base_delay=1.0, sleep=sleeps.append)
    def flaky():
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    assert flaky() == "done"
    assert sleeps == [1.0, 2.0]


def test_gives_up_with_retry_error():
    calls = []

    @retry(attempts=2, base_delay=0.0, sleep=lambda s: None)
    def broken():
        calls.append(1)
        raise TransientError("down")

    with pytest.raises(RetryError) as info:
        broken()
    assert len(calls) == 2
    assert isinstance(info.value.last_exception, TransientError)


def test_wraps_keeps_name():
    @retry(sleep=lambda s: None)
    def fetch_user():
        return 1

    assert fetch_user.__name__ == "fetch_user"
    assert fetch_user() == 1
