from shop import money
from shop.invoice import Invoice


def test_simple_invoice_totals():
    inv = Invoice("20").add("mug", "8.00", 2).add("poster", "12.50")
    assert inv.totals() == {"net": "28.50", "tax": "5.70", "gross": "34.20"}


def test_render_lists_lines_and_totals():
    inv = Invoice("10").add("pen", "1.20", 3)
    text = inv.render()
    assert text.splitlines()[0].startswith("pen")
    assert text.splitlines()[0].endswith("3.60")
    assert text.splitlines()[-1].endswith("3.96")


def test_money_helpers_roundtrip():
    a = money.parse_amount("19.99")
    assert money.fmt(money.times(a, 3)) == "59.97"
    assert money.fmt(money.add(a, money.parse_amount("0.01"))) == "20.00"
