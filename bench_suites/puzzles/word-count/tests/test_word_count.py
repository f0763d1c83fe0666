from word_count import count_words


def test_single_word():
    assert count_words("hello") == {"hello": 1}


def test_repeated_words():
    assert count_words("one fish two fish") == {"one": 1, "fish": 2, "two": 1}


def test_punctuation_separates():
    assert count_words("red, green; blue!") == {"red": 1, "green": 1, "blue": 1}
