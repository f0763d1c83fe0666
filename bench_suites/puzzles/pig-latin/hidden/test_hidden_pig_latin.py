import pytest
from pig_latin import translate


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ear", "earay"),
        ("under", "underay"),
        ("xray", "xrayay"),
        ("yttria", "yttriaay"),
        ("pig", "igpay"),
        ("three", "eethray"),
        ("school", "oolschay"),
        ("queen", "eenquay"),
        ("square", "aresquay"),
        ("squeal", "ealsquay"),
        ("rhythm", "ythmrhay"),
        ("my", "ymay"),
        ("yellow", "ellowyay"),
        ("xenon", "enonxay"),
        ("qat", "atqay"),
        ("nth", "nthay"),
    ],
)
def test_words(word, expected):
    assert translate(word) == expected


def test_whitespace_normalised():
    assert translate("  the   quick\tsquirrel ") == "ethay ickquay irrelsquay"


def test_empty():
    assert translate("") == ""
