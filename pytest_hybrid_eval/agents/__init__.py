"""Coding agents behind one protocol: the built-in agent and adapters around external CLIs."""
