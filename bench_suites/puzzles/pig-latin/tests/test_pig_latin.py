from pig_latin import translate


def test_vowel_start():
    assert translate("apple") == "appleay"


def test_consonant_cluster():
    assert translate("chair") == "airchay"


def test_sentence():
    assert translate("quick fast run") == "ickquay astfay unray"
