"""Login flow: salted PBKDF2 password hashes, lockout after repeated failures, expiring session tokens."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Callable

from authapp.clock import Clock, system_clock
from authapp.errors import AccountLocked, InvalidCredentials, InvalidToken, UserExists, WeakPassword
from authapp.users import UserRecord, UserStore

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str, salt: bytes, iterations: int = 100_000) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations).hex()


class AuthService:
    def __init__(
        self,
        store: UserStore,
        *,
        max_failures: int = 3,
        lockout_s: float = 300.0,
        token_ttl_s: float = 3600.0,
        iterations: int = 100_000,
        clock: Clock = system_clock,
        salt_factory: Callable[[], bytes] = lambda: os.urandom(16),
        token_factory: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self.store = store
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.token_ttl_s = token_ttl_s
        self.iterations = iterations
        self.clock = clock
        self.salt_factory = salt_factory
        self.token_factory = token_factory
        self._sessions: dict[str, tuple[str, float]] = {}

    def register(self, username: str, password: str) -> None:
        if username in self.store:
            raise UserExists(username)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        salt = self.salt_factory()
        self.store.add(UserRecord(username, salt, hash_password(password, salt, self.iterations)))

    def login(self, username: str, password: str) -> str:
        user = self.store.get(username)
        if user is None:
            raise InvalidCredentials(username)
        now = self.clock()
        if user.locked_until is not None:
            if now < user.locked_until:
                raise AccountLocked(username)
            user.locked_until = None
            user.failures = 0
        candidate = hash_password(password, user.salt, self.iterations)
        if not hmac.compare_digest(candidate, user.password_hash):
            user.failures += 1
            if user.failures > self.max_failures:
                user.locked_until = now + self.lockout_s
            raise InvalidCredentials(username)
        token = self.token_factory()
        self._sessions[token] = (username, now + self.token_ttl_s)
        return token

    def whoami(self, token: str) -> str:
        session = self._sessions.get(token)
        if session is None:
            raise InvalidToken("unknown token")
        username, expires_at = session
        if self.clock() > expires_at:
            del self._sessions[token]
            raise InvalidToken("token expired")
        return username

    def logout(self, token: str) -> None:
        self._sessions.pop(token, None)
