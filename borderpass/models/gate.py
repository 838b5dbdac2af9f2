"""Models of the gate context (empty until its issue lands)."""
