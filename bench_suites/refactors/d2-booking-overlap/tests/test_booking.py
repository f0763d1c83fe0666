from datetime import date

import pytest
from booking.calendar import Conflict, RoomCalendar
from booking.ranges import Stay


def d(day):
    return date(2024, 7, day)


def test_nights_and_days():
    s = Stay(d(1), d(4))
    assert s.nights == 3
    assert s.days() == [d(1), d(2), d(3)]
    with pytest.raises(ValueError):
        Stay(d(4), d(4))


def test_overlapping_stays_conflict():
    cal = RoomCalendar(["blue", "red"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    with pytest.raises(Conflict):
        cal.book("blue", "bob", Stay(d(3), d(7)))
    with pytest.raises(Conflict):
        cal.book("blue", "bob", Stay(d(2), d(3)))
    cal.book("red", "bob", Stay(d(3), d(7)))


def test_free_rooms_and_occupancy():
    cal = RoomCalendar(["blue", "red", "green"])
    cal.book("blue", "ann", Stay(d(1), d(5)))
    cal.book("red", "cy", Stay(d(10), d(12)))
    assert cal.free_rooms(Stay(d(2), d(4))) == ["green", "red"]
    assert cal.occupancy(d(4)) == 1
    assert cal.occupancy(d(5)) == 0
