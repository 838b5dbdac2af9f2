"""Event categories an agency may be entitled to, and the CloudEvents types of each."""

from __future__ import annotations

DECLARATIONS, CROSSINGS, BLACKLIST, CREDIT, INSPECTIONS = (
    "declarations", "crossings", "blacklist", "credit", "inspections")
CATEGORIES = (DECLARATIONS, CROSSINGS, BLACKLIST, CREDIT, INSPECTIONS)

PREFIX = "cn.borderpass."
DECLARATION_CREATED = PREFIX + "declaration.created"
DECLARATION_CANCELLED = PREFIX + "declaration.cancelled"
CROSSING_RECORDED = PREFIX + "crossing.recorded"
BLACKLIST_LISTED = PREFIX + "blacklist.listed"
BLACKLIST_LIFTED = PREFIX + "blacklist.lifted"
CREDIT_CHANGED = PREFIX + "credit.changed"  # written by services/credit after merge
INSPECTION_RECORDED = PREFIX + "inspection.recorded"  # an agency's result, shared (R-P1)

CATEGORY_OF = {
    DECLARATION_CREATED: DECLARATIONS, DECLARATION_CANCELLED: DECLARATIONS,
    CROSSING_RECORDED: CROSSINGS, BLACKLIST_LISTED: BLACKLIST, BLACKLIST_LIFTED: BLACKLIST,
    CREDIT_CHANGED: CREDIT, INSPECTION_RECORDED: INSPECTIONS,
}

# What agencies send us (POST /api/v1/agency/events)
IN_PREFIX = "cn.gov.agency."
IN_INSPECTION = IN_PREFIX + "inspection.result"
IN_BLACKLIST = IN_PREFIX + "blacklist.entry"
IN_CREDIT = IN_PREFIX + "credit.event"
INBOUND_TYPES = (IN_INSPECTION, IN_BLACKLIST, IN_CREDIT)

AGENCY_KINDS = ("customs", "border_inspection", "port_office")
