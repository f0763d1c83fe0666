"""Checks for d2-booking-overlap, run by the cases scorer: each case returns what it observed; the ``expect=``
literals are stripped before this file enters the sandbox and compared outside it. Dates are observed as ISO
strings (only an exact ``datetime.date`` is converted; anything else stays raw and is recorded as opaque)."""

from datetime import date

from booking.calendar import RoomCalendar
from booking.ranges import Stay
from hybrid_cases import attempt, case, raised


def d(day):
    return date(2024, 7, day)


def iso(value):
    return date.isoformat(value) if type(value) is date else value


def isos(values):
    if type(values) is not list:
        return values
    return [iso(v) for v in values]


def days_of(stay):
    """The stay's nights as ISO strings; a TypeError (so the case fails) unless days() gives exact dates."""
    got = stay.days()
    if type(got) is not list or any(type(v) is not date for v in got):
        raise TypeError(f"days() must return a list of datetime.date, got {type(got).__name__}")
    return [date.isoformat(v) for v in got]


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[3, ["2024-07-01", "2024-07-02", "2024-07-03"], raised("ValueError")])
def visible_nights_and_days():
    s = Stay(d(1), d(4))
    return [s.nights, isos(s.days()), attempt(Stay, d(4), d(4))]


@case(expect=[raised("Conflict"), raised("Conflict"), None])
def visible_overlapping_stays_conflict():
    cal = RoomCalendar(["blue", "red"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    return [attempt(cal.book, "blue", "bob", Stay(d(3), d(7))), attempt(cal.book, "blue", "bob", Stay(d(2), d(3))),
            cal.book("red", "bob", Stay(d(3), d(7)))]


@case(expect=[["green", "red"], 1, 0])
def visible_free_rooms_and_occupancy():
    cal = RoomCalendar(["blue", "red", "green"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    cal.book("red", "cy", Stay(d(10), d(12)))
    return [cal.free_rooms(Stay(d(2), d(4))), cal.occupancy(d(4)), cal.occupancy(d(5))]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=None)
def checkin_on_previous_checkout_day_is_allowed():
    cal = RoomCalendar(["blue"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    return cal.book("blue", "bob", Stay(d(5), d(8)))  # must not raise Conflict


@case(expect=None)
def checkout_on_next_checkin_day_is_allowed():
    cal = RoomCalendar(["blue"])
    cal.book("blue", "bob", Stay(d(5), d(8)))
    return cal.book("blue", "ann", Stay(d(1), d(5)))  # booked later, but earlier stay


@case(expect=[[False, False, False], [True, True, True], [True, True, True], [False, False, False]])
def overlap_is_symmetric_and_counts_shared_nights_only():
    pairs = [
        (Stay(d(1), d(5)), Stay(d(5), d(8))),
        (Stay(d(1), d(5)), Stay(d(4), d(8))),
        (Stay(d(2), d(3)), Stay(d(1), d(9))),
        (Stay(d(1), d(2)), Stay(d(3), d(4))),
    ]
    # per pair: a.overlaps(b), b.overlaps(a), and whether the stays share a night (from days(), as plain strings)
    return [[a.overlaps(b), b.overlaps(a), bool(set(days_of(a)) & set(days_of(b)))] for a, b in pairs]


@case(expect=["blue", "red"])
def free_rooms_counts_room_freed_on_arrival_day():
    cal = RoomCalendar(["blue", "red"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    cal.book("red", "cy", Stay(d(8), d(9)))
    return cal.free_rooms(Stay(d(5), d(8)))
