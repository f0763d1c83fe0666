"""Translate English words to Pig Latin."""


def translate(text: str) -> str:
    """Translate every whitespace-separated word; join with single spaces."""
    return text
