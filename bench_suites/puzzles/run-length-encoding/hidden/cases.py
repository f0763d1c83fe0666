"""Checks for run-length-encoding, run by the cases scorer: each case returns what it observed (the encoded
or decoded text, or ``attempt(...)`` results for data that must be rejected); the ``expect=`` literals are
stripped before this file enters the sandbox and compared outside it. The old malformed-data test compared
whole messages (``str(exc) == ...``), so those regexes are anchored (``\\A...\\Z``): an exact match."""

from hybrid_cases import attempt, case, raised
from rle import decode, encode

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect="4WB2WX")
def visible_encode_runs():
    return encode("WWWWBWWX")


@case(expect="aaabcc")
def visible_decode_runs():
    return decode("3ab2c")


@case(expect=["", ""])
def visible_empty():
    return [encode(""), decode("")]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect="abc")
def single_characters_have_no_count():
    return encode("abc")


@case(expect=["12xy", "x" * 12 + "y", "z" * 100])
def long_runs_use_multi_digit_counts():
    return [encode("x" * 12 + "y"), decode("12xy"), decode("100z")]


@case(expect="2a2A")
def case_sensitive():
    return encode("aaAA")


@case(expect=["2 2!é é", "  !!é é"])
def spaces_punctuation_unicode():
    return [encode("  !!é é"), decode("2 2!é é")]


@case(expect=raised("ValueError", "cannot encode digits"))
def encode_rejects_digits():
    return attempt(encode, "ab1")


@case(expect=[raised("ValueError", r"\Amalformed data at position 0\Z"),
              raised("ValueError", r"\Amalformed data at position 2\Z"),
              raised("ValueError", r"\Amalformed data at position 0\Z"),
              raised("ValueError", r"\Amalformed data at position 1\Z"),
              raised("ValueError", r"\Amalformed data at position 2\Z"),
              raised("ValueError", r"\Amalformed data at position 3\Z")])
def decode_malformed():
    """The old parametrized test: one attempt per data string, in this order."""
    return [attempt(decode, data) for data in ("3", "ab12", "0a", "a05b", "2a3", "ab 99")]


@case(expect=["a", "aaaaaaaaaaaaaaaaaaaaaaaaaabbbbb", "zzz  yy x", "ÄÄÄöö", "-_-__---" * 3])
def round_trip():
    """decode(encode(text)) for each text; the expectation is the texts themselves."""
    texts = ["a", "aaaaaaaaaaaaaaaaaaaaaaaaaabbbbb", "zzz  yy x", "ÄÄÄöö", "-_-__---" * 3]
    return [attempt(lambda t=t: decode(encode(t))) for t in texts]


@case(expect="a" * 10 + "bb")
def decode_ten_and_more():
    return decode("10a2b")
