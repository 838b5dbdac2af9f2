"""The gate: what happens at a lane (docs/gate-protocol.md, docs/gate-durability.md).

Lanes and their signing keys, the decision on a scanned pass, lifts, the lane's durable
record and ledger, offline replay, second-line checks and the commands sent to a lane.
The modules listed in docs/architecture.md as this package's surface are what the doors
and other packages import; the rest are private to it (import-linter checks both).
"""

# The surface: the modules doors and other packages may import (the rest are private,
# pyproject.toml's import-linter contracts say which; tests/test_architecture.py checks).
__all__ = [
    "gate_commands",
    "gate_context",
    "gate_decisions",
    "gate_events",
    "gate_lifts",
    "gate_offline",
    "gate_record",
    "gate_texts",
    "lane_events",
    "lanes",
    "ledger",
    "ledger_export",
    "ledger_partitions",
    "second_line",
]
