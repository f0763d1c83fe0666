"""Roman numerals."""


def to_roman(n: int) -> str:
    """Standard roman numeral for 1 <= n <= 3999."""
    return ""


def from_roman(s: str) -> int:
    """Value of a standard-form roman numeral."""
    return 0
