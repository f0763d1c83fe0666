"""Shared fixtures of the plugin's own tests."""

pytest_plugins = ["pytester"]
