"""Stock keeping for the shop's back office."""
