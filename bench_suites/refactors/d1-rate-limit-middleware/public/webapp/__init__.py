"""A tiny WSGI-like handler chain: handlers take a Request and return a Response."""
