"""Credit-based handling — 信用分类管理 (R-P2): trustworthy parties get faster handling.

- ``events``: :func:`record_event`, the one door for an event (also for external feeds);
  the class derived again in the same transaction.
- ``rules``: the numbered rules (R-P2.1 … R-P2.5), as data, with their version.
- ``hooks``: :func:`class_changed`, the one function a class change passes through.
- ``sources``: the events each change writes, in that change's transaction.
- ``feed``: the background loop's share: on-time trips by cursor, export locks, rechecks.
- ``fast_lane``: unchanged renewals of good parties approved by rule, a share sampled.
- ``restrictions``: what restricted and dishonest classes cost, naming the cause.
- ``view``: the record as the party and staff read it.
"""

from borderpass.services.credit.events import record_event
from borderpass.services.credit.hooks import class_changed

__all__ = ["class_changed", "record_event"]
