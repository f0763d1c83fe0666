"""Read small delimited text tables (exports from the club's spreadsheet)."""
