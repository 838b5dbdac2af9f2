"""The app's assembly and runtime: app factory, CLI, processes, health, metrics.

Imports everything; nothing but scripts and tests imports it (docs/architecture.md).
"""
