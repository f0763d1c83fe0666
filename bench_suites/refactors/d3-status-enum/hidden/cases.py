"""Checks for d3-status-enum, run by the cases scorer: behaviour cases return what they observed (the
``expect=`` literals are stripped before this file enters the sandbox; enum members are recorded by class and
member name, so ``member("OrderStatus.PAID")`` states an ``is OrderStatus.PAID``); the source inspection is
done on the harness's side (``verdicts.py``), never in here."""

import orders.status as status_mod
from hybrid_cases import attempt, case, member, raised
from orders.order import Order
from orders.status import can_transition, is_final, next_statuses, parse_status


def text(value):
    """What `value == "paid"` compares for a str or a str subclass (a str-valued Enum member): its string
    content, as an exact str. Anything else stays raw and is recorded as opaque (so it fails)."""
    return str.__str__(value) if isinstance(value, str) else value


def texts(values):
    return [text(v) for v in values] if type(values) is list else values


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=["paid", raised("ValueError")])
def visible_parse_status_normalises_and_rejects_unknown():
    return [text(parse_status(" Paid ")), attempt(parse_status, "lost")]


@case(expect=[["paid", "cancelled"], True, False, [True, True, False]])
def visible_transitions():
    return [texts(next_statuses("new")), can_transition("paid", "shipped"), can_transition("shipped", "cancelled"),
            [is_final("delivered"), is_final("cancelled"), is_final("new")]]


@case(expect=["new", "delivered", [("new", "paid"), ("paid", "shipped"), ("shipped", "delivered")],
              raised("TransitionError")])
def visible_order_lifecycle():
    o = Order(7)
    out = [text(o.status)]
    o.move_to("paid")
    o.move_to("SHIPPED")
    o.move_to("delivered")
    out.append(text(o.status))
    history = o.history
    if type(history) is list:
        history = [tuple(text(s) for s in h) if type(h) is tuple else h for h in history]
    out.append(history)
    out.append(attempt(o.move_to, "new"))
    return out


# -- hidden --------------------------------------------------------------------------------------------


@case(check="enum_and_str_subclass")
def enum_is_a_str_enum():
    return [[c.__module__, c.__qualname__] for c in status_mod.OrderStatus.__mro__]


@case(expect=[("NEW", "new"), ("PAID", "paid"), ("SHIPPED", "shipped"), ("DELIVERED", "delivered"),
              ("CANCELLED", "cancelled")])
def enum_with_expected_members_and_values():
    return [(m.name, m.value) for m in status_mod.OrderStatus]


@case(expect=[])
def old_constants_are_gone_from_the_module():
    # the module's real namespace (a module-level __dir__ cannot hide a name from it)
    return sorted(n for n in vars(status_mod) if type(n) is str and (n.startswith("STATUS_") or n == "ALL_STATUSES"))


@case(check="no_status_names_in_source")
def no_code_in_orders_refers_to_status_names():
    return None  # judged from orders/status.py and orders/order.py, on the harness's side


@case(expect=[member("OrderStatus.SHIPPED"), member("OrderStatus.PAID"),
              [member("OrderStatus.PAID"), member("OrderStatus.CANCELLED")]])
def functions_return_enum_members_and_accept_both_forms():
    OrderStatus = status_mod.OrderStatus
    return [parse_status("Shipped"), parse_status(OrderStatus.PAID), next_statuses(OrderStatus.NEW)]


@case(expect=[member("OrderStatus.NEW"), member("OrderStatus.PAID"), member("OrderStatus.SHIPPED")])
def order_status_is_always_an_enum_member():
    o = Order(1)
    out = [o.status]
    o.move_to("paid")
    out.append(o.status)
    out.append(Order(2, status="shipped").status)
    return out
