"""Normalise North American phone numbers."""


def clean_phone(raw: str) -> str:
    """The 10 digits of the number in `raw`; ValueError with a precise message if invalid."""
    return ""


def format_phone(raw: str) -> str:
    """The number formatted as (AAA) EEE-SSSS."""
    return ""
