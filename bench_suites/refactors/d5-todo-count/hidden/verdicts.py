"""Host-side checks for d5-todo-count (never copied into the sandbox): properties a literal cannot state."""


def usage_error(observed):
    """Exit code 2, nothing on stdout, and "usage" somewhere in stderr (any case)."""
    if not (isinstance(observed, list) and len(observed) == 3):
        return f"expected [returncode, stdout, stderr], got {observed!r:.200}"
    returncode, stdout, stderr = observed
    if type(returncode) is not int or returncode != 2:
        return f"expected exit code 2, got {returncode!r}"
    if stdout != "":
        return f"expected nothing on stdout, got {stdout!r:.200}"
    if not (isinstance(stderr, str) and "usage" in stderr.lower()):
        return f"stderr does not mention usage: {stderr!r:.200}"
    return True
