import pytest
from rle import decode, encode


def test_single_characters_have_no_count():
    assert encode("abc") == "abc"


def test_long_runs_use_multi_digit_counts():
    assert encode("x" * 12 + "y") == "12xy"
    assert decode("12xy") == "x" * 12 + "y"
    assert decode("100z") == "z" * 100


def test_case_sensitive():
    assert encode("aaAA") == "2a2A"


def test_spaces_punctuation_unicode():
    assert encode("  !!é é") == "2 2!é é"
    assert decode("2 2!é é") == "  !!é é"


def test_encode_rejects_digits():
    with pytest.raises(ValueError, match="cannot encode digits"):
        encode("ab1")


@pytest.mark.parametrize(
    ("data", "pos"),
    [("3", 0), ("ab12", 2), ("0a", 0), ("a05b", 1), ("2a3", 2), ("ab 99", 3)],
)
def test_decode_malformed(data, pos):
    with pytest.raises(ValueError) as info:
        decode(data)
    assert str(info.value) == f"malformed data at position {pos}"


def test_round_trip():
    for text in ["a", "aaaaaaaaaaaaaaaaaaaaaaaaaabbbbb", "zzz  yy x", "ÄÄÄöö", "-_-__---" * 3]:
        assert decode(encode(text)) == text


def test_decode_ten_and_more():
    assert decode("10a2b") == "a" * 10 + "bb"
