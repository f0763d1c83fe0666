"""Host-side checks for d1-rate-limit-middleware (never enters the sandbox)."""


def custom_key_and_exemption(observed):
    """Key k1 allowed then refused from another IP; requests without a key are exempt: 200, and no
    X-RateLimit-Remaining header (other headers are not the test's concern)."""
    if not isinstance(observed, list) or len(observed) != 5:
        return f"expected 5 observations, got {observed!r}"
    if observed[:2] != [200, 429] or any(type(s) is not int for s in observed[:2]):
        return f"key 'k1' twice: expected statuses [200, 429], got {observed[:2]!r}"
    for i, item in enumerate(observed[2:]):
        status, headers = item if isinstance(item, list) and len(item) == 2 else (None, None)
        if type(status) is not int or status != 200:
            return f"exempt request {i + 1}: expected status 200, got {item!r}"
        if type(headers) is not dict:
            return f"exempt request {i + 1}: headers are not a plain dict ({headers!r})"
        if "X-RateLimit-Remaining" in headers:
            return f"exempt request {i + 1} got an X-RateLimit-Remaining header: {headers!r}"
    return True
