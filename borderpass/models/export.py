"""Models of the export context (empty until its issue lands)."""
