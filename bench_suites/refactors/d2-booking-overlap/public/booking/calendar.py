from __future__ import annotations

from booking.ranges import Stay


class Conflict(Exception):
    pass


class RoomCalendar:
    def __init__(self, rooms: list[str]) -> None:
        self._bookings: dict[str, list[tuple[str, Stay]]] = {room: [] for room in rooms}

    def book(self, room: str, guest: str, stay: Stay) -> None:
        for other_guest, other in self._bookings[room]:
            if stay.overlaps(other):
                raise Conflict(f"{room} is taken by {other_guest} from {other.start} to {other.end}")
        self._bookings[room].append((guest, stay))

    def free_rooms(self, stay: Stay) -> list[str]:
        return sorted(
            room for room, booked in self._bookings.items() if not any(stay.overlaps(s) for _, s in booked)
        )

    def occupancy(self, day) -> int:
        return sum(1 for booked in self._bookings.values() for _, s in booked if s.includes_night(day))
