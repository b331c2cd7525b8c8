"""The closed vocabularies of the ledger: roles, hazard status, level, mode and source.

Each is a `StrEnum` in code and a CHECK constraint in the database (see `storage/models/`), so a
typo is caught where it is written, not found later in a report.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person may do in the bot (see `domain/park/rules.py`)."""

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


# --- notices and campaigns (issue #9) ------------------------------------------------------------


class NoticeKind(StrEnum):
    """会议通知 (a meeting with a time and place) or 通知 (a plain notice)."""

    MEETING = "meeting"
    NOTICE = "notice"


class NoticeCategory(StrEnum):
    """What kind of meeting or document a notice is (issue #19): counted apart in the digest and summary.

    Meetings: 例会, 动员会/专题会, 培训会, 其他; documents: 通知, 方案, 预案, 制度, 通报.
    """

    REGULAR = "regular"  # 例会
    MOBILISATION = "mobilisation"  # 动员会 / 专题会
    TRAINING = "training"  # 培训会
    OTHER = "other"  # 其他会议
    PLAIN = "plain"  # 通知
    PLAN = "plan"  # 方案
    EMERGENCY_PLAN = "emergency_plan"  # 预案
    REGULATION = "regulation"  # 制度
    BULLETIN = "bulletin"  # 通报


MEETING_CATEGORIES = (
    NoticeCategory.REGULAR,
    NoticeCategory.MOBILISATION,
    NoticeCategory.TRAINING,
    NoticeCategory.OTHER,
)
DOCUMENT_CATEGORIES = (
    NoticeCategory.PLAIN,
    NoticeCategory.PLAN,
    NoticeCategory.EMERGENCY_PLAN,
    NoticeCategory.REGULATION,
    NoticeCategory.BULLETIN,
)


class NoticeStatus(StrEnum):
    """Whether a notice still collects receipts; a cancelled meeting keeps its code and receipts."""

    OPEN = "open"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"  # taken back by its issuer or a manager (撤回): a mistake, counted nowhere


class ReceiptStatus(StrEnum):
    """One enterprise's answer to a notice: none yet, 收到, or 请假 (with a reason)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    LEAVE = "leave"


class CampaignStatus(StrEnum):
    """Whether a campaign (专项行动) still takes reports."""

    OPEN = "open"
    CLOSED = "closed"


class TaskStatus(StrEnum):
    """One enterprise's task in a campaign: its self-inspection report (自查报告) and the review."""

    PENDING = "pending"  # nothing submitted yet
    SUBMITTED = "submitted"  # waiting for a manager's review
    RETURNED = "returned"  # sent back with a reason; the enterprise submits again
    ACCEPTED = "accepted"


# Tasks still owed by the enterprise (so they can be overdue and are reminded).
OWED_TASKS = (TaskStatus.PENDING, TaskStatus.RETURNED)


class OutboxState(StrEnum):
    """What became of one outgoing message (one target): waiting, sent, or why not."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # the platform kept failing (5xx, timeouts) past the capped retries
    REFUSED = "refused"  # the platform refused this message for good (400: invalid, too old to edit)
    UNREACHABLE = "unreachable"  # the target is gone for the bot (removed, blocked, chat not found)


class ActivityKind(StrEnum):
    """What a `drills` row records: an 应急演练 (trainings have their own table since migration 0016;
    rows of kind `training` written before it were moved there)."""

    DRILL = "drill"
    TRAINING = "training"


class DrillKind(StrEnum):
    """The kind of an emergency drill (演练), inferred from its words (`domain/reports/rules.drill_kind`)."""

    FIRE = "fire"  # 消防
    CHEMICAL_LEAK = "chemical_leak"  # 危化品泄漏
    FLOOD = "flood"  # 防汛
    OTHER = "other"  # 其他


class QuestionKind(StrEnum):
    """The kind of a knowledge-quiz question (知识答题): single choice, multiple choice, true/false."""

    SINGLE = "single"  # 单选
    MULTIPLE = "multiple"  # 多选: every correct option and no other
    JUDGE = "judge"  # 判断: A 对 / B 错
