"""Account operations over a minimal transactional store."""
