from datetime import date

from booking.calendar import RoomCalendar
from booking.ranges import Stay


def d(day):
    return date(2024, 7, day)


def test_checkin_on_previous_checkout_day_is_allowed():
    cal = RoomCalendar(["blue"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    cal.book("blue", "bob", Stay(d(5), d(8)))  # must not raise Conflict


def test_checkout_on_next_checkin_day_is_allowed():
    cal = RoomCalendar(["blue"])
    cal.book("blue", "bob", Stay(d(5), d(8)))
    cal.book("blue", "ann", Stay(d(1), d(5)))  # booked later, but earlier stay


def test_overlap_is_symmetric_and_counts_shared_nights_only():
    pairs = [
        (Stay(d(1), d(5)), Stay(d(5), d(8)), False),
        (Stay(d(1), d(5)), Stay(d(4), d(8)), True),
        (Stay(d(2), d(3)), Stay(d(1), d(9)), True),
        (Stay(d(1), d(2)), Stay(d(3), d(4)), False),
    ]
    for a, b, expected in pairs:
        assert a.overlaps(b) is expected, (a, b)
        assert b.overlaps(a) is expected, (b, a)
        shared = set(a.days()) & set(b.days())
        assert bool(shared) is expected


def test_free_rooms_counts_room_freed_on_arrival_day():
    cal = RoomCalendar(["blue", "red"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    cal.book("red", "cy", Stay(d(8), d(9)))
    assert cal.free_rooms(Stay(d(5), d(8))) == ["blue", "red"]
