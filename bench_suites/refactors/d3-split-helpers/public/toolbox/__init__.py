"""Assorted helpers used across the back-office scripts."""
