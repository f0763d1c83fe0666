"""Count how often each word occurs in a text."""

import re

_WORD = re.compile(r"\w+(?:'\w+)*")


def count_words(text: str) -> dict[str, int]:
    """Map each lower-cased word of ``text`` to its number of occurrences."""
    counts: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts
