"""Read-only JSON API of the recipe site."""
