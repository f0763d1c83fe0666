import hashlib

import pytest
from authapp.auth import AuthService, hash_password
from authapp.clock import ManualClock
from authapp.errors import (
    AccountLocked,
    AuthError,
    InvalidCredentials,
    InvalidToken,
    UserExists,
    WeakPassword,
)
from authapp.users import UserStore


def make(clock=None, **kw):
    store = UserStore()
    kw.setdefault("iterations", 1000)
    svc = AuthService(store, clock=clock or ManualClock(50.0), **kw)
    return svc, store


def test_stored_hash_is_salted_pbkdf2_sha256():
    svc, store = make(salt_factory=lambda: b"0123456789abcdef")
    svc.register("bob", "s3cret-pass")
    rec = store.get("bob")
    assert rec.salt == b"0123456789abcdef"
    assert rec.password_hash == hashlib.pbkdf2_hmac("sha256", b"s3cret-pass", b"0123456789abcdef", 1000).hex()
    assert hash_password("s3cret-pass", b"0123456789abcdef", 1000) == rec.password_hash
    assert "s3cret-pass" not in rec.password_hash


def test_register_rejects_duplicates_and_short_passwords():
    svc, store = make()
    with pytest.raises(WeakPassword):
        svc.register("eve", "short7!")
    assert "eve" not in store
    svc.register("eve", "exactly8")
    with pytest.raises(UserExists):
        svc.register("eve", "another-password")
    assert issubclass(UserExists, AuthError)


def test_unknown_user_is_invalid_credentials():
    svc, _ = make()
    with pytest.raises(InvalidCredentials):
        svc.login("nobody", "whatever123")


def test_locks_exactly_at_max_failures_even_for_correct_password():
    clock = ManualClock(0.0)
    svc, store = make(clock, max_failures=3, lockout_s=60)
    svc.register("carol", "good-password")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            svc.login("carol", "bad-password")
    assert store.get("carol").locked_until is None
    with pytest.raises(InvalidCredentials):
        svc.login("carol", "bad-password")
    assert store.get("carol").locked_until == 60.0
    clock.advance(59.5)
    with pytest.raises(AccountLocked):
        svc.login("carol", "good-password")


def test_lockout_expires_and_counter_restarts():
    clock = ManualClock(0.0)
    svc, store = make(clock, max_failures=2, lockout_s=30)
    svc.register("dan", "good-password")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            svc.login("dan", "bad-password")
    clock.advance(30)
    # one more failure after the lockout ended must not lock again immediately
    with pytest.raises(InvalidCredentials):
        svc.login("dan", "bad-password")
    token = svc.login("dan", "good-password")
    assert svc.whoami(token) == "dan"
    assert store.get("dan").failures == 0


def test_successful_login_resets_failure_count():
    svc, store = make(max_failures=3)
    svc.register("fay", "good-password")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            svc.login("fay", "bad-password")
    svc.login("fay", "good-password")
    assert store.get("fay").failures == 0
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            svc.login("fay", "bad-password")
    assert svc.login("fay", "good-password")


def test_tokens_expire_after_ttl_and_are_distinct():
    clock = ManualClock(100.0)
    tokens = iter(["tok-1", "tok-2"])
    svc, _ = make(clock, token_ttl_s=10, token_factory=lambda: next(tokens))
    svc.register("gus", "good-password")
    t1 = svc.login("gus", "good-password")
    assert t1 == "tok-1"
    clock.advance(9.999)
    assert svc.whoami(t1) == "gus"
    t2 = svc.login("gus", "good-password")
    assert t2 == "tok-2"
    clock.advance(0.001)
    with pytest.raises(InvalidToken):
        svc.whoami(t1)
    assert svc.whoami(t2) == "gus"
    with pytest.raises(InvalidToken):
        svc.whoami("never-issued")
