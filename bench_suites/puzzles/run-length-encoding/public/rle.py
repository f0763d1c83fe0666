"""Run-length encoding."""


def encode(text: str) -> str:
    """Runs of the same character become <count><char> (count omitted when 1)."""
    return text


def decode(data: str) -> str:
    """Inverse of encode."""
    return data
