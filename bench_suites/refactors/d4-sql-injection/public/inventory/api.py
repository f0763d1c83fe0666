"""HTTP handlers (the web framework passes the query string as a dict of strings)."""

from __future__ import annotations

import sqlite3

from inventory.search import search_products


def products_handler(conn: sqlite3.Connection, params: dict[str, str]) -> list[dict[str, object]]:
    rows = search_products(
        conn,
        params.get("q", ""),
        category=params.get("category"),
        sort=params.get("sort", "name"),
    )
    return [dict(row) for row in rows]
