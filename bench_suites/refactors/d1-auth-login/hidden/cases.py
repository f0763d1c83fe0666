"""Checks for d1-auth-login, run by the cases scorer: each case returns what it observed; the ``expect=``
literals are stripped before this file enters the sandbox and compared outside it. Session tokens from the
default (random) ``token_factory`` are judged by ``verdicts.py``."""

from authapp.auth import AuthService, hash_password
from authapp.clock import ManualClock
from authapp.errors import UserExists
from authapp.users import UserStore
from hybrid_cases import attempt, case, raised


def make_service(**kw):
    """The visible tests' factory."""
    kw.setdefault("iterations", 1000)
    kw.setdefault("clock", ManualClock(1000.0))
    return AuthService(UserStore(), **kw)


def make(clock=None, **kw):
    """The hidden tests' factory: the service and its store."""
    store = UserStore()
    kw.setdefault("iterations", 1000)
    svc = AuthService(store, clock=clock or ManualClock(50.0), **kw)
    return svc, store


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(check="token_then_ada")
def visible_register_then_login_and_whoami():
    svc = make_service()
    svc.register("ada", "correct horse")
    token = svc.login("ada", "correct horse")
    return [token, svc.whoami(token)]


@case(expect=raised("InvalidCredentials"))
def visible_wrong_password_is_rejected():
    svc = make_service()
    svc.register("ada", "correct horse")
    return svc.login("ada", "wrong horse")


@case(expect=raised("InvalidToken"))
def visible_logout_invalidates_the_token():
    svc = make_service()
    svc.register("ada", "correct horse")
    token = svc.login("ada", "correct horse")
    svc.logout(token)
    return svc.whoami(token)


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[b"0123456789abcdef", "47d61f31fef370bee8cd94fc248cbfcd6b5283cfef81e4b29c60fe8c2a122e4e",
              "47d61f31fef370bee8cd94fc248cbfcd6b5283cfef81e4b29c60fe8c2a122e4e"])
def stored_hash_is_salted_pbkdf2_sha256():
    svc, store = make(salt_factory=lambda: b"0123456789abcdef")
    svc.register("bob", "s3cret-pass")
    rec = store.get("bob")
    # the expected digest is pbkdf2_hmac("sha256", b"s3cret-pass", salt, 1000).hex(), which cannot hold the password
    return [rec.salt, rec.password_hash, hash_password("s3cret-pass", b"0123456789abcdef", 1000)]


@case(expect=[raised("WeakPassword"), False, None, raised("UserExists"),
              ["UserExists", "AuthError", "Exception", "BaseException", "object"]])
def register_rejects_duplicates_and_short_passwords():
    svc, store = make()
    weak = attempt(svc.register, "eve", "short7!")
    stored_after_weak = "eve" in store
    ok = svc.register("eve", "exactly8")
    return [weak, stored_after_weak, ok, attempt(svc.register, "eve", "another-password"),
            [c.__name__ for c in UserExists.__mro__]]


@case(expect=raised("InvalidCredentials"))
def unknown_user_is_invalid_credentials():
    svc, _ = make()
    return svc.login("nobody", "whatever123")


@case(expect=[raised("InvalidCredentials"), raised("InvalidCredentials"), None, raised("InvalidCredentials"), 60.0,
              raised("AccountLocked")])
def locks_exactly_at_max_failures_even_for_correct_password():
    clock = ManualClock(0.0)
    svc, store = make(clock, max_failures=3, lockout_s=60)
    svc.register("carol", "good-password")
    out = [attempt(svc.login, "carol", "bad-password") for _ in range(2)]
    out.append(store.get("carol").locked_until)
    out.append(attempt(svc.login, "carol", "bad-password"))
    out.append(store.get("carol").locked_until)
    clock.advance(59.5)
    out.append(attempt(svc.login, "carol", "good-password"))
    return out


@case(expect=[raised("InvalidCredentials"), raised("InvalidCredentials"), raised("InvalidCredentials"), "dan", 0])
def lockout_expires_and_counter_restarts():
    clock = ManualClock(0.0)
    svc, store = make(clock, max_failures=2, lockout_s=30)
    svc.register("dan", "good-password")
    out = [attempt(svc.login, "dan", "bad-password") for _ in range(2)]
    clock.advance(30)
    # one more failure after the lockout ended must not lock again immediately
    out.append(attempt(svc.login, "dan", "bad-password"))
    token = svc.login("dan", "good-password")
    out.append(svc.whoami(token))
    out.append(store.get("dan").failures)
    return out


@case(check="failures_reset_then_token")
def successful_login_resets_failure_count():
    svc, store = make(max_failures=3)
    svc.register("fay", "good-password")
    out = [attempt(svc.login, "fay", "bad-password") for _ in range(2)]
    svc.login("fay", "good-password")
    out.append(store.get("fay").failures)
    out += [attempt(svc.login, "fay", "bad-password") for _ in range(2)]
    out.append(svc.login("fay", "good-password"))
    return out


@case(expect=["tok-1", "gus", "tok-2", raised("InvalidToken"), "gus", raised("InvalidToken")])
def tokens_expire_after_ttl_and_are_distinct():
    clock = ManualClock(100.0)
    tokens = iter(["tok-1", "tok-2"])
    svc, _ = make(clock, token_ttl_s=10, token_factory=lambda: next(tokens))
    svc.register("gus", "good-password")
    t1 = svc.login("gus", "good-password")
    out = [t1]
    clock.advance(9.999)
    out.append(svc.whoami(t1))
    t2 = svc.login("gus", "good-password")
    out.append(t2)
    clock.advance(0.001)
    out.append(attempt(svc.whoami, t1))
    out.append(svc.whoami(t2))
    out.append(attempt(svc.whoami, "never-issued"))
    return out
