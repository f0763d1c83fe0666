"""Room bookings for a small guest house."""
