from shop import money
from shop.invoice import Invoice


def test_exact_half_cent_rounds_up():
    assert Invoice("10").add("sticker", "1.25").totals() == {"net": "1.25", "tax": "0.13", "gross": "1.38"}
    assert Invoice("21").add("frame", "12.50").totals()["tax"] == "2.63"


def test_half_cent_hidden_by_binary_floats_rounds_up():
    assert Invoice("10").add("lamp", "10.15").totals() == {"net": "10.15", "tax": "1.02", "gross": "11.17"}
    assert money.fmt(money.percent_of(money.parse_amount("10.15"), "10")) == "1.02"


def test_fractional_percent_and_quantities():
    inv = Invoice("7.5").add("tea", "0.70", 3).add("cup", "4.10", 1)
    # per line: 2.10 -> tax 0.1575 -> 0.16 ; 4.10 -> tax 0.3075 -> 0.31
    assert inv.totals() == {"net": "6.20", "tax": "0.47", "gross": "6.67"}


def test_many_small_lines_sum_exactly():
    inv = Invoice("0")
    for _ in range(10):
        inv.add("bead", "0.10", 1)
    assert inv.totals() == {"net": "1.00", "tax": "0.00", "gross": "1.00"}
    inv2 = Invoice("15").add("a", "33.35").add("b", "0.10", 7)
    # 33.35 -> tax 5.0025 -> 5.00 ; 0.70 -> tax 0.105 -> 0.11
    assert inv2.totals() == {"net": "34.05", "tax": "5.11", "gross": "39.16"}
