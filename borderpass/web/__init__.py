"""What the web doors share, set by the app: its typed keys and where a request came from.

Below the doors (the API, console, bot and bridge read it), above the services and
adapters; it imports no door and not the app (docs/architecture.md).
"""
