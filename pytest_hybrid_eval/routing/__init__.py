"""The routing proxy, its per-cell usage ledger and the routing strategies."""
