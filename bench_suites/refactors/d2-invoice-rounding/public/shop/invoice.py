from __future__ import annotations

from dataclasses import dataclass, field

from shop import money


@dataclass
class Line:
    description: str
    unit_price: str  # as typed by the shop owner, e.g. "12.50"
    quantity: int = 1


@dataclass
class Invoice:
    tax_percent: str
    lines: list[Line] = field(default_factory=list)

    def add(self, description: str, unit_price: str, quantity: int = 1) -> "Invoice":
        self.lines.append(Line(description, unit_price, quantity))
        return self

    def line_amounts(self):
        """(net, tax) per line; tax is computed and rounded per line."""
        out = []
        for line in self.lines:
            net = money.times(money.parse_amount(line.unit_price), line.quantity)
            out.append((net, money.percent_of(net, self.tax_percent)))
        return out

    def totals(self) -> dict[str, str]:
        amounts = self.line_amounts()
        net = money.add(*(n for n, _ in amounts))
        tax = money.add(*(t for _, t in amounts))
        return {"net": money.fmt(net), "tax": money.fmt(tax), "gross": money.fmt(money.add(net, tax))}

    def render(self) -> str:
        rows = []
        for line, (net, tax) in zip(self.lines, self.line_amounts()):
            rows.append(f"{line.description:<20}{line.quantity:>4} x {line.unit_price:>8} = {money.fmt(net):>10}")
        t = self.totals()
        rows.append(f"{'net':<37}{t['net']:>10}")
        rows.append(f"{'tax ' + self.tax_percent + '%':<37}{t['tax']:>10}")
        rows.append(f"{'total':<37}{t['gross']:>10}")
        return "\n".join(rows)
