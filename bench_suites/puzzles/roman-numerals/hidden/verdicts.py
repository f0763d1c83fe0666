"""Host-side checks for roman-numerals (run by the harness, never in the sandbox)."""


def round_trip_all(observed):
    """observed[n - 1] is from_roman(to_roman(n)); it must equal n for every n from 1 to 3999 (a number, not a
    bool, as the literal comparison reads it)."""
    if not isinstance(observed, list) or len(observed) != 3999:
        return f"expected 3999 round-trip results, got {type(observed).__name__}"
    for n, got in enumerate(observed, start=1):
        if isinstance(got, bool) or not isinstance(got, (int, float)) or got != n:
            return f"from_roman(to_roman({n})) gave {got!r}, not {n}"
    return True
