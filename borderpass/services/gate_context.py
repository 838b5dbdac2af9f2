"""What the gate services share: infrastructure, signing keys, lane cache, gate settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from borderpass.services.lanes import LaneCache
from borderpass.services.ports import Deps
from borderpass.services.signing_keys import KeyRing


def normalize_plate(plate: str) -> str:
    """A plate compared without spaces, dots or dashes, in upper case."""
    return "".join(ch for ch in plate.upper() if ch not in " ·.-")


@dataclass
class GateDeps:
    """Built once per process by the gate door (and by tests): one key ring, one lane cache."""

    deps: Deps
    keys: KeyRing
    lanes: LaneCache = field(default_factory=LaneCache)
    # R-G5: police, fire and ambulance plates released at once when a lane camera reads them.
    emergency_plates: frozenset[str] = frozenset()

    @classmethod
    def build(cls, deps: Deps, emergency_plates: tuple[str, ...] = ()) -> GateDeps:
        """The gate dependencies over ``deps``."""
        return cls(deps, KeyRing(deps),
                   emergency_plates=frozenset(normalize_plate(p) for p in emergency_plates))
