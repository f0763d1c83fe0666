from rle import decode, encode


def test_encode_runs():
    assert encode("WWWWBWWX") == "4WB2WX"


def test_decode_runs():
    assert decode("3ab2c") == "aaabcc"


def test_empty():
    assert encode("") == "" and decode("") == ""
