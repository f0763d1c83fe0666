import pytest
from authapp.auth import AuthService
from authapp.clock import ManualClock
from authapp.errors import InvalidCredentials, InvalidToken
from authapp.users import UserStore


def make_service(**kw):
    kw.setdefault("iterations", 1000)
    kw.setdefault("clock", ManualClock(1000.0))
    return AuthService(UserStore(), **kw)


def test_register_then_login_and_whoami():
    svc = make_service()
    svc.register("ada", "correct horse")
    token = svc.login("ada", "correct horse")
    assert isinstance(token, str) and token
    assert svc.whoami(token) == "ada"


def test_wrong_password_is_rejected():
    svc = make_service()
    svc.register("ada", "correct horse")
    with pytest.raises(InvalidCredentials):
        svc.login("ada", "wrong horse")


def test_logout_invalidates_the_token():
    svc = make_service()
    svc.register("ada", "correct horse")
    token = svc.login("ada", "correct horse")
    svc.logout(token)
    with pytest.raises(InvalidToken):
        svc.whoami(token)
