import pytest

from tinyini import Config

TEXT = """
[server]
port = 8080
debug = Yes
name = api

[limits]
burst: 20
"""


def test_sections_in_order() -> None:
    assert Config(TEXT).sections == ["server", "limits"]


def test_get_is_case_insensitive_on_keys() -> None:
    assert Config(TEXT).get("server", "NAME") == "api"


def test_missing_key_names_section_and_key() -> None:
    with pytest.raises(KeyError, match=r"\[server\] timeout"):
        Config(TEXT).get("server", "timeout")


def test_defaults_are_returned_unchanged() -> None:
    cfg = Config(TEXT)
    assert cfg.get("server", "timeout", "30") == "30"
    assert cfg.getint("server", "timeout", 30) == 30
    assert cfg.getboolean("nope", "x", False) is False


def test_typed_getters() -> None:
    cfg = Config(TEXT)
    assert cfg.getint("server", "port") == 8080
    assert cfg.getint("limits", "burst") == 20
    assert cfg.getboolean("server", "debug") is True


def test_bad_values_name_the_key() -> None:
    cfg = Config(TEXT)
    with pytest.raises(ValueError, match=r"\[server\] name: 'api' is not an integer"):
        cfg.getint("server", "name")
    with pytest.raises(ValueError, match="is not a boolean"):
        cfg.getboolean("server", "port")
