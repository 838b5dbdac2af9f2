"""What the gate services share: infrastructure, signing keys, lane cache, gate settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from borderpass.adapters.batching import BatchRunner, Coalescer
from borderpass.services.gate.lanes import LaneCache
from borderpass.services.gate.signing_keys import KeyRing
from borderpass.services.ports import Deps


def normalize_plate(plate: str) -> str:
    """A plate compared without spaces, dots or dashes, in upper case."""
    return "".join(ch for ch in plate.upper() if ch not in " ·.-")


# A batch starts beside a running one only with this many lane events (scans and acks):
# about what arrives during one commit at 2,000 scans/s, several times what does at 500/s.
OVERLAP_AT = 8


@dataclass
class GateDeps:
    """Built once per process by the gate door (and by tests): one key ring, one lane cache."""

    deps: Deps
    keys: KeyRing
    lanes: LaneCache = field(default_factory=LaneCache)
    # R-G5: police, fire and ambulance plates released at once when a lane camera reads them.
    emergency_plates: frozenset[str] = frozenset()
    # The lanes' database reads of one loop turn share a round trip.
    batches: dict[Callable[..., Any], Coalescer[Any, Any]] = field(init=False,
                                                                    default_factory=dict)

    def coalescer(self, run: BatchRunner[Any, Any]) -> Coalescer[Any, Any]:
        """The one coalescer of this process that batches requests through ``run``: under
        load two batches in flight (while one commits, the next is written, and PostgreSQL's
        constraints decide between them as between processes); under light load one at a
        time, so they stay few and large (docs/gate-durability.md)."""
        if (found := self.batches.get(run)) is None:
            found = self.batches[run] = Coalescer(run, in_flight=2, overlap_at=OVERLAP_AT)
        return found

    @classmethod
    def build(cls, deps: Deps, emergency_plates: tuple[str, ...] = ()) -> GateDeps:
        """The gate dependencies over ``deps``."""
        return cls(deps, KeyRing(deps),
                   emergency_plates=frozenset(normalize_plate(p) for p in emergency_plates))
