"""BorderPass."""
