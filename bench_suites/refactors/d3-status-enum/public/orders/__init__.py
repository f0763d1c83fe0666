"""Order lifecycle for the shop back office."""
