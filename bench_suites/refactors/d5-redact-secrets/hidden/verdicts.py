"""Host-side checks for d5-redact-secrets (never copied into the sandbox): properties a literal cannot state."""


def invalid_json_exits_1(observed):
    """Exit code 1, nothing on stdout, stderr *starting with* "invalid JSON" (the rest of the line is free)."""
    if not (isinstance(observed, list) and len(observed) == 3):
        return f"expected [returncode, stdout, stderr], got {observed!r:.200}"
    returncode, stdout, stderr = observed
    if type(returncode) is not int or returncode != 1:
        return f"expected exit code 1, got {returncode!r}"
    if stdout != "":
        return f"expected nothing on stdout, got {stdout!r:.200}"
    if not (isinstance(stderr, str) and stderr.startswith("invalid JSON")):
        return f"stderr does not start with 'invalid JSON': {stderr!r:.200}"
    return True
