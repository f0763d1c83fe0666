import pytest
from mini_template import (
    Template,
    TemplateError,
    TemplateSyntaxError,
    UndefinedVariableError,
    render,
)


def test_quotes_are_escaped():
    assert render("{{ q }}", {"q": "it's \"x\""}) == "it&#x27;s &quot;x&quot;"


def test_safe_filter_disables_escaping_and_text_is_never_escaped():
    assert render("<i>{{ h | safe }}</i> & {{ h }}", {"h": "<b>"}) == "<i><b></i> & &lt;b&gt;"


def test_none_renders_empty_and_numbers_use_str():
    assert render("[{{ a }}|{{ b }}|{{ c }}]", {"a": None, "b": 3, "c": 2.5}) == "[|3|2.5]"


def test_whitespace_inside_delimiters_optional_and_text_verbatim():
    assert render("  {{x}}\n\t{{  x  }}  ", {"x": 1}) == "  1\n\t1  "


def test_list_index_and_attribute_lookup():
    class Point:
        def __init__(self):
            self.x = 7
            self._secret = "no"

    ctx = {"items": [{"n": "zero"}, {"n": "one"}], "p": Point()}
    assert render("{{ items.1.n }}/{{ p.x }}", ctx) == "one/7"
    with pytest.raises(UndefinedVariableError, match="undefined variable 'p._secret'"):
        render("{{ p._secret }}", ctx)
    with pytest.raises(UndefinedVariableError, match="undefined variable 'items.5.n'"):
        render("{{ items.5.n }}", ctx)


def test_mapping_key_wins_over_attribute():
    assert render("{{ d.keys }}", {"d": {"keys": "K"}}) == "K"


def test_if_not_and_nested_if():
    t = Template("{% if not a %}A0{% else %}{% if b %}AB{% else %}A{% endif %}{% endif %}")
    assert t.render({"a": [], "b": 1}) == "A0"
    assert t.render({"a": [1], "b": ""}) == "A"
    assert t.render({"a": "x", "b": "y"}) == "AB"


def test_undefined_in_if_and_for_raise():
    with pytest.raises(UndefinedVariableError, match="undefined variable 'flag'"):
        render("{% if flag %}x{% endif %}", {})
    with pytest.raises(UndefinedVariableError, match="undefined variable 'rows'"):
        render("{% for r in rows %}{% endfor %}", {})


def test_loop_metadata_and_shadowing():
    src = ("{% for x in xs %}{{ x }}{% if loop.first %}^{% endif %}{% if loop.last %}${% endif %}"
           "{{ loop.index0 }}/{{ loop.length }} {% endfor %}{{ x }}")
    assert render(src, {"xs": "ab", "x": "outer"}) == "a^0/2 b$1/2 outer"


def test_nested_loops_inner_loop_shadows_outer_loop():
    src = "{% for r in rows %}{% for c in r %}{{ loop.index }}{{ c }}{% endfor %}|{{ loop.index }};{% endfor %}"
    assert render(src, {"rows": [["a", "b"], ["c"]]}) == "1a2b|1;1c|2;"


def test_for_over_dict_yields_keys():
    assert render("{% for k in d %}{{ k }},{% endfor %}", {"d": {"x": 1, "y": 2}}) == "x,y,"


def test_custom_and_overriding_filters():
    filters = {"shout": lambda v: str(v) + "!", "upper": lambda v: "U:" + str(v)}
    assert render("{{ w | shout | upper }}", {"w": "hi"}, filters) == "U:hi!"
    assert render("{{ w|length }}", {"w": [1, 2, 3]}) == "3"


def test_comments_produce_nothing():
    assert render("a{# {{ nope }} #}b", {}) == "ab"


def test_context_not_modified():
    ctx = {"xs": [1, 2], "x": "keep"}
    render("{% for x in xs %}{{ x }}{% endfor %}", ctx)
    assert ctx == {"xs": [1, 2], "x": "keep"}


def test_not_iterable_is_template_error():
    with pytest.raises(TemplateError, match="'n' is not iterable"):
        render("{% for i in n %}{% endfor %}", {"n": 5})


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("ok\n{{ name", "unclosed tag on line 2"),
        ("{% if a %}\n\n{% while b %}", "unknown tag 'while' on line 3"),
        ("{{ a b }}", "invalid expression 'a b' on line 1"),
        ("{{ 1abc }}", "invalid expression '1abc' on line 1"),
        ("x\n{% for in xs %}{% endfor %}", "invalid expression 'for in xs' on line 2"),
        ("{{ a | shout }}", "unknown filter 'shout' on line 1"),
        ("{% if a %}{% endfor %}", "unexpected 'endfor' on line 1"),
        ("{% for a in b %}{% else %}{% endfor %}", "unexpected 'else' on line 1"),
        ("{% if a %}1{% else %}2{% else %}3{% endif %}", "unexpected 'else' on line 1"),
        ("text {% endif %}", "unexpected 'endif' on line 1"),
    ],
)
def test_syntax_errors(src, message):
    with pytest.raises(TemplateSyntaxError) as info:
        Template(src)
    assert str(info.value) == message


def test_unclosed_block_reports_innermost():
    src = "{% for a in b %}\n{% if a %}\n{{ a }}\n{% endfor %}"
    # endfor while 'if' is open is a mismatch
    with pytest.raises(TemplateSyntaxError, match="unexpected 'endfor' on line 4"):
        Template(src)
    with pytest.raises(TemplateSyntaxError) as info:
        Template("{% for a in b %}\n{% if a %}\n{{ a }}")
    assert str(info.value) == "unclosed block 'if' opened on line 2"


def test_syntax_errors_raised_at_construction_not_render():
    with pytest.raises(TemplateSyntaxError):
        Template("{{ x | nope }}")
    t = Template("{{ missing }}")
    with pytest.raises(UndefinedVariableError):
        t.render({})


def test_error_hierarchy():
    assert issubclass(TemplateSyntaxError, TemplateError)
    assert issubclass(UndefinedVariableError, TemplateError)
