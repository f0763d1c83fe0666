"""Checks for word-count, run by the cases scorer: each case returns what it observed, and the literal in
``@case(expect=...)`` is compared outside the sandbox (it is stripped before this file gets there)."""

from hybrid_cases import case
from word_count import count_words

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect={"hello": 1})
def visible_single_word():
    return count_words("hello")


@case(expect={"one": 1, "fish": 2, "two": 1})
def visible_repeated_words():
    return count_words("one fish two fish")


@case(expect={"red": 1, "green": 1, "blue": 1})
def visible_punctuation_separates():
    return count_words("red, green; blue!")


# -- hidden --------------------------------------------------------------------------------------------


@case(expect={})
def empty_text():
    return count_words("")


@case(expect={})
def only_punctuation():
    return count_words(" ... !? -- ' ")


@case(expect={"go": 4})
def case_is_ignored():
    return count_words("Go GO go gO")


@case(expect={"don't": 2, "stop": 1, "it's": 1, "fine": 1})
def contractions_stay_whole():
    return count_words("Don't stop, it's fine. don't")


@case(expect={"she": 1, "said": 1, "hello": 1, "and": 1, "bye": 1})
def quotes_around_words_are_dropped():
    return count_words("She said 'hello' and 'bye'")


@case(expect={"the": 1, "dogs": 1, "bowls": 1})
def trailing_possessive_apostrophe_is_dropped():
    return count_words("the dogs' bowls")


@case(expect={"rock'n'roll": 2})
def several_apostrophes_in_one_word():
    return count_words("rock'n'roll ROCK'N'ROLL")


@case(expect={"can": 1, "t": 1})
def double_apostrophe_splits():
    return count_words("can''t")


@case(expect={"1": 1, "2": 2, "3": 3, "route66": 1})
def numbers_are_words():
    return count_words("1 2 2 3 3 3 route66")


@case(expect={"well": 1, "known": 1, "snake": 1, "case": 1})
def hyphens_and_underscores_separate():
    return count_words("well-known snake_case")


@case(expect={"a": 2, "b": 2, "c": 1})
def whitespace_of_every_kind():
    return count_words("a\tb\nc\r\na  b")


@case(expect={"café": 2, "été": 2})
def non_ascii_letters():
    return count_words("Café café ÉTÉ été")


@case(expect=[{"x": 1}, {"x": 1}, {"x's": 1}, {"s": 1}, {"joe's": 1}])
def apostrophe_edges():
    return [count_words(text) for text in ("x", "'x'", "x's", "'s", "(joe's)")]


@case(expect={"a": 2, "b": 1})
def result_is_a_plain_dict_of_ints():
    return count_words("a a b")  # the encoding keeps exact types: a dict subclass or a bool count fails
