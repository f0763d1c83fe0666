"""A small client for an internal HTTP-ish service, with a pluggable transport."""
