from datetime import date

from reports.exporters import export_csv, export_markdown

ROWS = [
    {"name": " Widget ", "price": 3.5, "in_stock": True, "added": date(2024, 1, 5)},
    {"name": "Gadget, large", "price": None, "in_stock": False, "added": date(2023, 12, 1)},
    {"name": "Pipe|Fitting", "price": 12.0, "in_stock": True, "qty": 4},
]
COLS = ["name", "price", "in_stock", "added"]


def test_csv_export():
    assert export_csv(ROWS, COLS) == (
        "name,price,in_stock,added\n"
        "Widget,3.50,yes,2024-01-05\n"
        '"Gadget, large",,no,2023-12-01\n'
        "Pipe|Fitting,12.00,yes,\n"
    )


def test_markdown_export_escapes_pipes():
    assert export_markdown(ROWS, ["name", "qty"]) == (
        "| name | qty |\n"
        "|---|---|\n"
        "| Widget |  |\n"
        "| Gadget, large |  |\n"
        "| Pipe\\|Fitting | 4 |\n"
    )


def test_sorting_puts_missing_values_last():
    assert export_csv(ROWS, ["name", "price"], sort_by="price").splitlines()[1:] == [
        "Widget,3.50",
        "Pipe|Fitting,12.00",
        '"Gadget, large",',
    ]
    assert export_markdown(ROWS, ["name"], sort_by="added").splitlines()[2:] == [
        "| Gadget, large |",
        "| Widget |",
        "| Pipe\\|Fitting |",
    ]
