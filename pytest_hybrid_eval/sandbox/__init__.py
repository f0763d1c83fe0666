"""Sandboxes that run untrusted code: protocol, kinds, auto-selection."""
