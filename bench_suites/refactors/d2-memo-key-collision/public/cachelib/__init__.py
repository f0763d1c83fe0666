"""A small shared cache with expiry, and a memoizing decorator on top of it."""
