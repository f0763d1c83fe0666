"""Count how often each word occurs in a text."""


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and ch != "_"


def count_words(text: str) -> dict[str, int]:
    """Map each lower-cased word of ``text`` to its number of occurrences.

    Letters and digits form words; an apostrophe joins a word only between two word characters.
    """
    counts: dict[str, int] = {}
    current: list[str] = []

    def flush() -> None:
        if current:
            word = "".join(current).lower()
            counts[word] = counts.get(word, 0) + 1
            current.clear()

    for i, ch in enumerate(text):
        if _is_word_char(ch):
            current.append(ch)
        elif (ch == "'" and current and i + 1 < len(text) and _is_word_char(text[i + 1])):
            current.append(ch)
        else:
            flush()
    flush()
    return counts
