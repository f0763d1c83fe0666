"""Normalise North American phone numbers."""

ALLOWED_PUNCTUATION = set(" ()-.+")
FIRST_DIGIT_NAMES = {"0": "zero", "1": "one"}


def clean_phone(raw: str) -> str:
    """The 10 digits of the number in `raw`; ValueError with a precise message if invalid."""
    if any(ch.isalpha() for ch in raw):
        raise ValueError("phone number must not contain letters")
    if any(not ch.isdigit() and ch not in ALLOWED_PUNCTUATION for ch in raw):
        raise ValueError("phone number contains invalid punctuation")
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) < 10:
        raise ValueError("phone number has too few digits")
    if len(digits) > 11:
        raise ValueError("phone number has too many digits")
    if len(digits) == 11:
        if digits[0] != "1":
            raise ValueError("an 11-digit number must start with country code 1")
        digits = digits[1:]
    if digits[0] in FIRST_DIGIT_NAMES:
        raise ValueError(f"area code cannot start with {FIRST_DIGIT_NAMES[digits[0]]}")
    if digits[3] == "0":
        raise ValueError("exchange code cannot start with zero")
    return digits


def format_phone(raw: str) -> str:
    """The number formatted as (AAA) EEE-SSSS."""
    d = clean_phone(raw)
    return f"({d[:3]}) {d[3:6]}-{d[6:]}"
