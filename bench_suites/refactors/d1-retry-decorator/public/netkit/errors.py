class ServiceError(Exception):
    pass


class TransientError(ServiceError):
    """The call may succeed if repeated (timeouts, 503s, dropped connections)."""


class PermanentError(ServiceError):
    """Repeating the call will not help (400s, auth failures)."""


class RetryError(Exception):
    """Raised when every attempt failed; `last_exception` is the final failure."""

    def __init__(self, message: str, attempts: int, last_exception: BaseException) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_exception = last_exception
