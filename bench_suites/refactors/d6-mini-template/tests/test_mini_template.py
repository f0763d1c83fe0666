import pytest
from mini_template import Template, TemplateSyntaxError, UndefinedVariableError, render


def test_plain_variable_and_text():
    assert render("Hello, {{ name }}!", {"name": "Ada"}) == "Hello, Ada!"


def test_dotted_lookup_and_filter():
    ctx = {"user": {"name": "  grace  "}}
    assert render("[{{ user.name | strip | upper }}]", ctx) == "[GRACE]"


def test_if_else():
    t = Template("{% if admin %}root{% else %}guest{% endif %}")
    assert t.render({"admin": True}) == "root"
    assert t.render({"admin": 0}) == "guest"


def test_for_loop_with_index():
    out = render("{% for x in xs %}{{ loop.index }}={{ x }};{% endfor %}", {"xs": ["a", "b"]})
    assert out == "1=a;2=b;"


def test_html_is_escaped():
    assert render("<p>{{ v }}</p>", {"v": "<b>&</b>"}) == "<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"


def test_unknown_variable_is_an_error():
    with pytest.raises(UndefinedVariableError, match="undefined variable 'user.email'"):
        render("{{ user.email }}", {"user": {"name": "x"}})


def test_unclosed_block_is_an_error():
    with pytest.raises(TemplateSyntaxError, match="unclosed block 'if' opened on line 1"):
        Template("{% if x %}never closed")
