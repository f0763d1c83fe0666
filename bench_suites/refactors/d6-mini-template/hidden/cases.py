"""Checks for d6-mini-template, run by the cases scorer. Each case returns what it observed (rendered text, the
context after rendering, or the template exception raised); the ``expect=`` literals are stripped before this
file enters the sandbox and compared outside it."""

import mini_template
from hybrid_cases import Raised, case, raised
from mini_template import Template, TemplateError, TemplateSyntaxError, UndefinedVariableError, render


def raises(name, fn, *args):
    """What ``pytest.raises(mini_template.<name>)`` around the call sees, as data.

    An instance of that class (a subclass included, as pytest.raises accepts) is reported under ``name`` with its
    message, so ``raised(name, regex)`` matches exactly when ``pytest.raises(cls, match=regex)`` would;
    ``attempt`` alone names only the exception's own class and its builtin bases, so a subclass of the task's
    TemplateError would be missed. A normal return comes back in a form no ``raised(...)`` matches; any other
    exception fails the case.
    """
    cls = getattr(mini_template, name)
    try:
        value = fn(*args)
    except cls as exc:
        return Raised([name], str(exc))
    return ["returned", value]


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect="Hello, Ada!")
def visible_plain_variable_and_text():
    return render("Hello, {{ name }}!", {"name": "Ada"})


@case(expect="[GRACE]")
def visible_dotted_lookup_and_filter():
    return render("[{{ user.name | strip | upper }}]", {"user": {"name": "  grace  "}})


@case(expect=["root", "guest"])
def visible_if_else():
    t = Template("{% if admin %}root{% else %}guest{% endif %}")
    return [t.render({"admin": True}), t.render({"admin": 0})]


@case(expect="1=a;2=b;")
def visible_for_loop_with_index():
    return render("{% for x in xs %}{{ loop.index }}={{ x }};{% endfor %}", {"xs": ["a", "b"]})


@case(expect="<p>&lt;b&gt;&amp;&lt;/b&gt;</p>")
def visible_html_is_escaped():
    return render("<p>{{ v }}</p>", {"v": "<b>&</b>"})


@case(expect=raised("UndefinedVariableError", "undefined variable 'user.email'"))
def visible_unknown_variable_is_an_error():
    return raises("UndefinedVariableError", render, "{{ user.email }}", {"user": {"name": "x"}})


@case(expect=raised("TemplateSyntaxError", "unclosed block 'if' opened on line 1"))
def visible_unclosed_block_is_an_error():
    return raises("TemplateSyntaxError", Template, "{% if x %}never closed")


# -- hidden --------------------------------------------------------------------------------------------


@case(expect="it&#x27;s &quot;x&quot;")
def quotes_are_escaped():
    return render("{{ q }}", {"q": "it's \"x\""})


@case(expect="<i><b></i> & &lt;b&gt;")
def safe_filter_disables_escaping_and_text_is_never_escaped():
    return render("<i>{{ h | safe }}</i> & {{ h }}", {"h": "<b>"})


@case(expect="[|3|2.5]")
def none_renders_empty_and_numbers_use_str():
    return render("[{{ a }}|{{ b }}|{{ c }}]", {"a": None, "b": 3, "c": 2.5})


@case(expect="  1\n\t1  ")
def whitespace_inside_delimiters_optional_and_text_verbatim():
    return render("  {{x}}\n\t{{  x  }}  ", {"x": 1})


@case(expect=["one/7", raised("UndefinedVariableError", "undefined variable 'p._secret'"),
              raised("UndefinedVariableError", "undefined variable 'items.5.n'")])
def list_index_and_attribute_lookup():
    class Point:
        def __init__(self):
            self.x = 7
            self._secret = "no"

    ctx = {"items": [{"n": "zero"}, {"n": "one"}], "p": Point()}
    return [render("{{ items.1.n }}/{{ p.x }}", ctx),
            raises("UndefinedVariableError", render, "{{ p._secret }}", ctx),
            raises("UndefinedVariableError", render, "{{ items.5.n }}", ctx)]


@case(expect="K")
def mapping_key_wins_over_attribute():
    return render("{{ d.keys }}", {"d": {"keys": "K"}})


@case(expect=["A0", "A", "AB"])
def if_not_and_nested_if():
    t = Template("{% if not a %}A0{% else %}{% if b %}AB{% else %}A{% endif %}{% endif %}")
    return [t.render({"a": [], "b": 1}), t.render({"a": [1], "b": ""}), t.render({"a": "x", "b": "y"})]


@case(expect=[raised("UndefinedVariableError", "undefined variable 'flag'"),
              raised("UndefinedVariableError", "undefined variable 'rows'")])
def undefined_in_if_and_for_raise():
    return [raises("UndefinedVariableError", render, "{% if flag %}x{% endif %}", {}),
            raises("UndefinedVariableError", render, "{% for r in rows %}{% endfor %}", {})]


@case(expect="a^0/2 b$1/2 outer")
def loop_metadata_and_shadowing():
    src = ("{% for x in xs %}{{ x }}{% if loop.first %}^{% endif %}{% if loop.last %}${% endif %}"
           "{{ loop.index0 }}/{{ loop.length }} {% endfor %}{{ x }}")
    return render(src, {"xs": "ab", "x": "outer"})


@case(expect="1a2b|1;1c|2;")
def nested_loops_inner_loop_shadows_outer_loop():
    src = "{% for r in rows %}{% for c in r %}{{ loop.index }}{{ c }}{% endfor %}|{{ loop.index }};{% endfor %}"
    return render(src, {"rows": [["a", "b"], ["c"]]})


@case(expect="x,y,")
def for_over_dict_yields_keys():
    return render("{% for k in d %}{{ k }},{% endfor %}", {"d": {"x": 1, "y": 2}})


@case(expect=["U:hi!", "3"])
def custom_and_overriding_filters():
    filters = {"shout": lambda v: str(v) + "!", "upper": lambda v: "U:" + str(v)}
    return [render("{{ w | shout | upper }}", {"w": "hi"}, filters), render("{{ w|length }}", {"w": [1, 2, 3]})]


@case(expect="ab")
def comments_produce_nothing():
    return render("a{# {{ nope }} #}b", {})


@case(expect={"xs": [1, 2], "x": "keep"})
def context_not_modified():
    ctx = {"xs": [1, 2], "x": "keep"}
    render("{% for x in xs %}{{ x }}{% endfor %}", ctx)
    return ctx


@case(expect=raised("TemplateError", "'n' is not iterable"))
def not_iterable_is_template_error():
    return raises("TemplateError", render, "{% for i in n %}{% endfor %}", {"n": 5})


@case(expect=[
    raised("TemplateSyntaxError", r"\Aunclosed tag on line 2\Z"),
    raised("TemplateSyntaxError", r"\Aunknown tag 'while' on line 3\Z"),
    raised("TemplateSyntaxError", r"\Ainvalid expression 'a b' on line 1\Z"),
    raised("TemplateSyntaxError", r"\Ainvalid expression '1abc' on line 1\Z"),
    raised("TemplateSyntaxError", r"\Ainvalid expression 'for in xs' on line 2\Z"),
    raised("TemplateSyntaxError", r"\Aunknown filter 'shout' on line 1\Z"),
    raised("TemplateSyntaxError", r"\Aunexpected 'endfor' on line 1\Z"),
    raised("TemplateSyntaxError", r"\Aunexpected 'else' on line 1\Z"),
    raised("TemplateSyntaxError", r"\Aunexpected 'else' on line 1\Z"),
    raised("TemplateSyntaxError", r"\Aunexpected 'endif' on line 1\Z"),
])
def syntax_errors():
    sources = [
        "ok\n{{ name",
        "{% if a %}\n\n{% while b %}",
        "{{ a b }}",
        "{{ 1abc }}",
        "x\n{% for in xs %}{% endfor %}",
        "{{ a | shout }}",
        "{% if a %}{% endfor %}",
        "{% for a in b %}{% else %}{% endfor %}",
        "{% if a %}1{% else %}2{% else %}3{% endif %}",
        "text {% endif %}",
    ]
    return [raises("TemplateSyntaxError", Template, src) for src in sources]


@case(expect=[raised("TemplateSyntaxError", "unexpected 'endfor' on line 4"),
              raised("TemplateSyntaxError", r"\Aunclosed block 'if' opened on line 2\Z")])
def unclosed_block_reports_innermost():
    # endfor while 'if' is open is a mismatch
    return [raises("TemplateSyntaxError", Template, "{% for a in b %}\n{% if a %}\n{{ a }}\n{% endfor %}"),
            raises("TemplateSyntaxError", Template, "{% for a in b %}\n{% if a %}\n{{ a }}")]


@case(expect=[raised("TemplateSyntaxError"), raised("UndefinedVariableError")])
def syntax_errors_raised_at_construction_not_render():
    first = raises("TemplateSyntaxError", Template, "{{ x | nope }}")
    t = Template("{{ missing }}")
    return [first, raises("UndefinedVariableError", t.render, {})]


@case(expect=[True, True])
def error_hierarchy():
    # issubclass on the task's own classes: the one observation here a literal cannot make from data
    return [issubclass(TemplateSyntaxError, TemplateError), issubclass(UndefinedVariableError, TemplateError)]
