"""The gate: what happens at a lane (docs/gate.md).

Lanes and their signing keys, the decision on a scanned pass, lifts, the lane's durable
record and ledger, offline replay, second-line checks and the commands sent to a lane.
The modules listed in docs/architecture.md as this package's surface are what the doors
and other packages import; the rest are private to it (import-linter checks both).
"""
