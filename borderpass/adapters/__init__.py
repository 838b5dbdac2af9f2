"""Adapters: the database, Redis, WeChat, files and images, over the kernel.

They import `borderpass.core` and `borderpass.models` only (docs/architecture.md).
"""
