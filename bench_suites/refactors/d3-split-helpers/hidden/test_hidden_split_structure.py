import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HOMES = {
    "toolbox.text": ["slugify", "truncate"],
    "toolbox.numbers": ["clamp", "percent"],
    "toolbox.dates": ["parse_date", "business_days_between"],
}


def test_each_function_is_defined_in_its_new_module():
    for module_name, names in HOMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            fn = getattr(module, name)
            assert fn.__module__ == module_name, f"{name} is defined in {fn.__module__}"


def test_old_module_only_reexports():
    helpers = importlib.import_module("toolbox.helpers")
    for module_name, names in HOMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert getattr(helpers, name) is getattr(module, name)
    tree = ast.parse((ROOT / "toolbox" / "helpers.py").read_text(encoding="utf-8"))
    defined = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    assert defined == []


def test_new_modules_do_not_import_the_facade():
    for module_name in HOMES:
        path = ROOT / Path(*module_name.split(".")).with_suffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "toolbox.helpers", path.name
            if isinstance(node, ast.Import):
                assert all(a.name != "toolbox.helpers" for a in node.names), path.name


def test_modules_hold_only_their_own_group():
    for module_name in HOMES:
        module = importlib.import_module(module_name)
        others = {n for m, ns in HOMES.items() if m != module_name for n in ns}
        assert not (others & set(vars(module))), module_name
