"""Subscriptions and free trials."""
