"""Used-car export — 二手车出口 (R-E1 … R-E8): enterprise filings, licences, VINs, cancellations.

``enterprises`` files and reviews the enterprise (R-E1); ``licences`` applies for, issues and
returns licences (R-E2, R-E3, R-E5, R-E8) over the vehicles of ``vehicles`` (R-E4, R-E6);
``obligations`` records the one clearance, the exits and the cancellations (R-E3, R-E7).
The gate bridge lets an export vehicle out by :func:`record_exit`, which refuses a VIN not on
a cleared licence and a second exit; :func:`vin_cleared_for_exit` answers customs' look-up.
"""

from __future__ import annotations

from borderpass.services.export.obligations import record_exit, vin_cleared_for_exit

__all__ = ["record_exit", "vin_cleared_for_exit"]
