import pytest
from phone import clean_phone, format_phone


def err(raw):
    with pytest.raises(ValueError) as info:
        clean_phone(raw)
    return str(info.value)


def test_plain_ten_digits():
    assert clean_phone("8005550123") == "8005550123"


def test_eleven_digits_with_one():
    assert clean_phone("18005550123") == "8005550123"


def test_eleven_digits_without_one():
    assert err("28005550123") == "an 11-digit number must start with country code 1"


def test_too_many_digits():
    assert err("1 800 555 01234") == "phone number has too many digits"


def test_letters_reported_first():
    assert err("800-CALL-NOW") == "phone number must not contain letters"
    assert err("12") == "phone number has too few digits"
    assert err("800x555!0123") == "phone number must not contain letters"


def test_invalid_punctuation():
    assert err("800:555:0123") == "phone number contains invalid punctuation"
    assert err("800/555/0123") == "phone number contains invalid punctuation"


def test_plus_only_at_start():
    assert clean_phone("  +1 (800) 555-0123") == "8005550123"
    assert err("800+555+0123") == "phone number contains invalid punctuation"
    assert err("++1 800 555 0123") == "phone number contains invalid punctuation"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("(023) 456-7890", "area code cannot start with zero"),
        ("(123) 456-7890", "area code cannot start with one"),
        ("(223) 056-7890", "exchange code cannot start with zero"),
        ("(223) 156-7890", "exchange code cannot start with one"),
        ("1 (123) 456-7890", "area code cannot start with one"),
        ("1 (223) 156-7890", "exchange code cannot start with one"),
    ],
)
def test_area_and_exchange_codes(raw, message):
    assert err(raw) == message


def test_check_order_digits_before_codes():
    assert err("(023) 456-789") == "phone number has too few digits"


def test_format_propagates_errors_and_formats_country_code():
    assert format_phone("1.800.555.0123") == "(800) 555-0123"
    with pytest.raises(ValueError, match="exchange code cannot start with one"):
        format_phone("800 155 0123")
