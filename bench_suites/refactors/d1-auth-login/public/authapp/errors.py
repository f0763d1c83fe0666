class AuthError(Exception):
    """Base class for every authentication failure."""


class UserExists(AuthError):
    pass


class WeakPassword(AuthError):
    pass


class InvalidCredentials(AuthError):
    pass


class AccountLocked(AuthError):
    pass


class InvalidToken(AuthError):
    pass
