"""Checks for d2-invoice-rounding, run by the cases scorer: each case returns what it observed; the ``expect=``
literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import case
from shop import money
from shop.invoice import Invoice

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect={"net": "28.50", "tax": "5.70", "gross": "34.20"})
def visible_simple_invoice_totals():
    inv = Invoice("20").add("mug", "8.00", 2).add("poster", "12.50")
    return inv.totals()


@case(expect=["pen", "3.60", "3.96"])
def visible_render_lists_lines_and_totals():
    inv = Invoice("10").add("pen", "1.20", 3)
    lines = inv.render().splitlines()
    # startswith("pen") / endswith("3.60") on the first line, endswith("3.96") on the last
    return [lines[0][:3], lines[0][-4:], lines[-1][-4:]]


@case(expect=["59.97", "20.00"])
def visible_money_helpers_roundtrip():
    a = money.parse_amount("19.99")
    return [money.fmt(money.times(a, 3)), money.fmt(money.add(a, money.parse_amount("0.01")))]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[{"net": "1.25", "tax": "0.13", "gross": "1.38"}, "2.63"])
def exact_half_cent_rounds_up():
    return [Invoice("10").add("sticker", "1.25").totals(), Invoice("21").add("frame", "12.50").totals()["tax"]]


@case(expect=[{"net": "10.15", "tax": "1.02", "gross": "11.17"}, "1.02"])
def half_cent_hidden_by_binary_floats_rounds_up():
    return [Invoice("10").add("lamp", "10.15").totals(),
            money.fmt(money.percent_of(money.parse_amount("10.15"), "10"))]


@case(expect={"net": "6.20", "tax": "0.47", "gross": "6.67"})
def fractional_percent_and_quantities():
    inv = Invoice("7.5").add("tea", "0.70", 3).add("cup", "4.10", 1)
    # per line: 2.10 -> tax 0.1575 -> 0.16 ; 4.10 -> tax 0.3075 -> 0.31
    return inv.totals()


@case(expect=[{"net": "1.00", "tax": "0.00", "gross": "1.00"}, {"net": "34.05", "tax": "5.11", "gross": "39.16"}])
def many_small_lines_sum_exactly():
    inv = Invoice("0")
    for _ in range(10):
        inv.add("bead", "0.10", 1)
    inv2 = Invoice("15").add("a", "33.35").add("b", "0.10", 7)
    # 33.35 -> tax 5.0025 -> 5.00 ; 0.70 -> tax 0.105 -> 0.11
    return [inv.totals(), inv2.totals()]
