"""Export query results to text formats."""
