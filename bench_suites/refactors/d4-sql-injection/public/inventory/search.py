"""Product search for the back-office search box and the /api/products?q=... endpoint."""

from __future__ import annotations

import sqlite3

SORTABLE = ("name", "price_cents", "stock")


def search_products(
    conn: sqlite3.Connection,
    term: str,
    category: str | None = None,
    sort: str = "name",
) -> list[sqlite3.Row]:
    """Products whose name contains ``term``, optionally within one category, ordered by ``sort``."""
    query = f"SELECT * FROM products WHERE name LIKE '%{term}%'"
    if category:
        query += f" AND category = '{category}'"
    query += f" ORDER BY {sort}"
    return conn.execute(query).fetchall()
