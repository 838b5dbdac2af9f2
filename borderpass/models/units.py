"""Models of the units context (empty until its issue lands)."""
