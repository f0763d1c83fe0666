"""Host-side checks for d1-auth-login (never enters the sandbox): sessions from the default token_factory
are random, so a literal cannot state them; a token must be a non-empty plain ``str``."""

from pytest_hybrid_eval.scoring.compare import Observed


def _token_problem(value: object) -> str | None:
    if type(value) is not str or not value:
        return f"login returned {value!r}, not a non-empty str token"
    return None


def _raised(value: object, name: str) -> bool:
    return isinstance(value, Observed) and value.kind == "raised" and name in value.names


def token_then_ada(observed):
    """[token, whoami(token)]: a non-empty str token, and whoami names 'ada'."""
    if not isinstance(observed, list) or len(observed) != 2:
        return f"expected [token, whoami], got {observed!r}"
    token, who = observed
    if (why := _token_problem(token)) is not None:
        return why
    if type(who) is not str or who != "ada":
        return f"whoami(token) returned {who!r}, expected 'ada'"
    return True


def failures_reset_then_token(observed):
    """Two wrong passwords, a good login (failures back to 0), two more wrong ones: still not locked."""
    if not isinstance(observed, list) or len(observed) != 6:
        return f"expected 6 observations, got {observed!r}"
    for i in (0, 1, 3, 4):
        if not _raised(observed[i], "InvalidCredentials"):
            return f"item {i}: expected InvalidCredentials to be raised, got {observed[i]!r}"
    if type(observed[2]) is not int or observed[2] != 0:
        return f"failures after a successful login is {observed[2]!r}, expected 0"
    return _token_problem(observed[5])
