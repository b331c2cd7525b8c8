"""The closed vocabularies of the ledger: roles, hazard status, level, mode and source.

Each is a `StrEnum` in code and a CHECK constraint in the database (see `storage/models.py`), so a
typo is caught where it is written, not found later in a report.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person may do in the bot (see `storage/permissions.py`)."""

    ADMIN = "admin"
    MANAGER = "manager"
    INSPECTOR = "inspector"
    LEAD = "lead"
    MEMBER = "member"


# Roles bound to one enterprise act only for it; the others act for the whole park.
ENTERPRISE_ROLES = (Role.LEAD, Role.MEMBER)
PARK_ROLES = (Role.ADMIN, Role.MANAGER, Role.INSPECTOR)
MANAGER_ROLES = (Role.ADMIN, Role.MANAGER)


class HazardStatus(StrEnum):
    """Where a hazard is in the closed loop; `overdue` is derived, never stored."""

    REPORTED = "reported"
    RECTIFYING = "rectifying"
    AWAITING_VERIFICATION = "awaiting_verification"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"  # a mistaken or duplicate report, taken back; keeps its code and history


OPEN_STATUSES = (HazardStatus.REPORTED, HazardStatus.RECTIFYING, HazardStatus.AWAITING_VERIFICATION)
# Statuses in which a fix is still owed, so the hazard can be overdue.
UNFIXED_STATUSES = (HazardStatus.REPORTED, HazardStatus.RECTIFYING)


class Level(StrEnum):
    """一般隐患 / 重大隐患."""

    GENERAL = "general"
    MAJOR = "major"


class Mode(StrEnum):
    """立即整改 / 限期整改; a hazard has no mode until one is chosen."""

    IMMEDIATE = "immediate"
    DEADLINE = "deadline"


class Source(StrEnum):
    """How a hazard was found: 随手拍 by the enterprise, an inspection, a campaign."""

    SNAPSHOT = "snapshot"
    INSPECTION = "inspection"
    CAMPAIGN = "campaign"


class ActorKind(StrEnum):
    """Who made a change: a person, or the system itself (a scheduled job)."""

    PERSON = "person"
    SYSTEM = "system"


class JoinStatus(StrEnum):
    """Where a join request is."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ActivityKind(StrEnum):
    """What `/drill` records: 应急演练 or 安全培训 (counted apart in the annual summary)."""

    DRILL = "drill"
    TRAINING = "training"
