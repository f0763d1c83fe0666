"""Checks for d3-split-helpers, run by the cases scorer: behaviour cases return what they observed (the
``expect=`` literals are stripped before this file enters the sandbox); the structural checks read the
candidate's source on the harness's side (``verdicts.py``), never an inspection made in here. Dates are
observed as ISO strings (only an exact ``datetime.date`` is converted; anything else is recorded as opaque)."""

import importlib
from datetime import date

from hybrid_cases import attempt, case, raised
from report import summary
from toolbox.helpers import business_days_between, clamp, parse_date, percent, slugify, truncate

HOMES = {
    "toolbox.text": ["slugify", "truncate"],
    "toolbox.numbers": ["clamp", "percent"],
    "toolbox.dates": ["parse_date", "business_days_between"],
}


def iso(value):
    return date.isoformat(value) if type(value) is date else value


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=["creme-brulee-co-2024", "hello...", "short", ".."])
def visible_text_helpers():
    return [slugify("  Crème Brûlée & Co. 2024 "), truncate("hello world", 8), truncate("short", 10),
            truncate("abcdef", 2)]


@case(expect=[10, 0, raised("ValueError"), "33.3%", "n/a"])
def visible_number_helpers():
    return [clamp(15, 0, 10), clamp(-1, 0, 10), attempt(clamp, 1, 5, 0), percent(1, 3), percent(1, 0)]


@case(expect=["2024-03-01", "2024-03-01", "2024-03-01", raised("ValueError"), 6])
def visible_date_helpers():
    return [iso(parse_date("2024-03-01")), iso(parse_date("01.03.2024")), iso(parse_date(" 01/03/2024")),
            attempt(parse_date, "March 1st"), business_days_between(date(2024, 3, 1), date(2024, 3, 11))]


@case(expect="q1-close: 6 working days, 25.0% done")
def visible_report_script_still_works():
    return summary("Q1 Close!", "2024-03-01", "11.03.2024", 2, 8)


# -- hidden --------------------------------------------------------------------------------------------


@case(expect={"slugify": "toolbox.text", "truncate": "toolbox.text", "clamp": "toolbox.numbers",
              "percent": "toolbox.numbers", "parse_date": "toolbox.dates", "business_days_between": "toolbox.dates"})
def each_function_is_defined_in_its_new_module():
    out = {}
    for module_name, names in HOMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            out[name] = getattr(module, name).__module__
    return out


@case(check="each_def_is_in_its_new_module")
def each_function_has_its_def_in_its_new_module():
    return None  # judged from the source of toolbox/text.py, numbers.py and dates.py, on the harness's side


@case(expect={"slugify": True, "truncate": True, "clamp": True, "percent": True, "parse_date": True,
              "business_days_between": True})
def old_module_reexports_the_same_objects():
    helpers = importlib.import_module("toolbox.helpers")
    out = {}
    for module_name, names in HOMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            out[name] = getattr(helpers, name) is getattr(module, name)  # identity: no object can fake `is`
    return out


@case(check="facade_defines_nothing")
def old_module_defines_no_functions_or_classes():
    return None  # judged from toolbox/helpers.py's source, on the harness's side


@case(check="new_modules_do_not_import_the_facade")
def new_modules_do_not_import_the_facade():
    return None  # judged from the source of the three new modules, on the harness's side


@case(check="modules_hold_only_their_own_group")
def modules_hold_only_their_own_group():
    # each new module's namespace (its names, as they are); the harness looks for the other groups' names
    return {module_name: list(vars(importlib.import_module(module_name))) for module_name in HOMES}
