"""Personal data over its life: sealing keys, exports, retention, erasure (R-U7).

Per-subject keys and resealing, a subject's data export (and an organisation's), the
retention sweep and erasure. Doors and other packages import only this package's surface
(docs/architecture.md); the rest is private to it.
"""
