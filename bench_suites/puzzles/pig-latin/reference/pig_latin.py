"""Translate English words to Pig Latin."""

VOWELS = set("aeiou")


def _word(word: str) -> str:
    if word[0] in VOWELS or word.startswith(("xr", "yt")):
        return word + "ay"
    i = 0
    while i < len(word):
        ch = word[i]
        if ch in VOWELS:
            if ch == "u" and i > 0 and word[i - 1] == "q":
                i += 1
            break
        if ch == "y" and i > 0:
            break
        i += 1
    return word[i:] + word[:i] + "ay"


def translate(text: str) -> str:
    """Translate every whitespace-separated word; join with single spaces."""
    return " ".join(_word(w) for w in text.split())
