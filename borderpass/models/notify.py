"""Models of the notify context (empty until its issue lands)."""
