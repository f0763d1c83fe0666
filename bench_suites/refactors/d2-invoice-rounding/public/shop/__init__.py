"""Invoicing for a small web shop."""
