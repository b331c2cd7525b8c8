"""The hazard rules as pure functions and tables: who may do what to a hazard in which status, and when it is overdue.

No session and no SQLAlchemy here: `operations.py` checks these on every change, `queries.py` and the
reports build their SQL from the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from domain.park.rules import Perm, is_manager, may_act_for, may_report_for, role_allows
from storage.enums import (
    ENTERPRISE_ROLES,
    OPEN_STATUSES,
    UNFIXED_STATUSES,
    HazardStatus,
    Level,
    Mode,
    Role,
    Source,
)
from storage.models import (
    Hazard,
    HazardEvent,
    Person,
)

S = HazardStatus


class Action(StrEnum):
    """Every kind of hazard event."""

    REPORT = "report"
    SET_DUE = "set_due"
    SET_LEVEL = "set_level"
    SET_CATEGORY = "set_category"
    PHOTOS = "photos"
    DOCUMENTS = "documents"  # PDFs (校验报告, 检测报告) added as evidence
    FIVE = "five"
    FIX = "fix"
    REJECT = "reject"  # 验收驳回
    ACCEPT = "accept"  # 验收通过, 销号
    UNFIX = "unfix"  # the submitter takes a fix back before it is verified
    CHANGE_DUE = "change_due"  # a manager moves a deadline already set
    EXTEND_ASK = "extend_ask"  # the enterprise asks for a later deadline (延期申请)
    EXTEND_APPROVE = "extend_approve"
    EXTEND_REFUSE = "extend_refuse"
    WITHDRAW = "withdraw"  # a mistaken or duplicate report taken back
    EDIT = "edit"  # the reporter rewrites the description


@dataclass(frozen=True)
class Rule:
    """The statuses an event may happen in, and those it may move the hazard to (None: unchanged)."""

    sources: frozenset[HazardStatus | None]
    targets: frozenset[HazardStatus | None]


EDITABLE = frozenset({S.REPORTED, S.RECTIFYING})
RULES: dict[Action, Rule] = {
    Action.REPORT: Rule(frozenset({None}), frozenset({S.REPORTED, S.RECTIFYING})),
    Action.SET_DUE: Rule(EDITABLE, frozenset({None, S.RECTIFYING})),
    Action.SET_LEVEL: Rule(EDITABLE, frozenset({None})),
    Action.SET_CATEGORY: Rule(EDITABLE, frozenset({None})),
    Action.PHOTOS: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
    Action.DOCUMENTS: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
    Action.FIVE: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
    Action.FIX: Rule(EDITABLE, frozenset({S.AWAITING_VERIFICATION})),
    Action.REJECT: Rule(frozenset({S.AWAITING_VERIFICATION}), frozenset({S.RECTIFYING})),
    Action.ACCEPT: Rule(frozenset({S.AWAITING_VERIFICATION}), frozenset({S.CLOSED})),
    Action.UNFIX: Rule(frozenset({S.AWAITING_VERIFICATION}), frozenset({S.RECTIFYING})),
    Action.CHANGE_DUE: Rule(EDITABLE, frozenset({None, S.RECTIFYING})),
    Action.EXTEND_ASK: Rule(EDITABLE, frozenset({None})),
    Action.EXTEND_APPROVE: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
    Action.EXTEND_REFUSE: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
    Action.WITHDRAW: Rule(frozenset(OPEN_STATUSES), frozenset({S.WITHDRAWN})),
    Action.EDIT: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
}


def allowed(action: Action, status: HazardStatus | None) -> bool:
    """Tell whether an event of this kind may happen to a hazard in this status."""
    return status in RULES[action].sources


class Refusal(StrEnum):
    """Why an operation was refused; handlers turn each into a clear answer."""

    NOT_ALLOWED = "not_allowed"  # this person may not do this to this hazard
    WRONG_STATUS = "wrong_status"  # the hazard's status does not allow it (any more)
    OWN_FIX = "own_fix"  # nobody verifies their own rectification
    NOT_MAJOR = "not_major"  # five-in-place is for major hazards only
    MODE_SET = "mode_set"  # the way of rectifying was already chosen
    ENTERPRISE_INACTIVE = "enterprise_inactive"  # the enterprise is no longer on the park's list
    FIVE_INCOMPLETE = "five_incomplete"  # a major hazard is closed only with its five-in-place complete
    NO_DEADLINE = "no_deadline"  # an extension is asked for a hazard without a deadline
    NOT_LATER = "not_later"  # an extension must ask for a later date than the current deadline
    NO_REQUEST = "no_request"  # no extension request waits for a decision (any more)
    SAME_HAZARD = "same_hazard"  # a hazard cannot duplicate itself
    BAD_ORIGINAL = "bad_original"  # a duplicate's original must be a live hazard of the same enterprise


# The five-in-place (五落实) of a major hazard, as stored in `Hazard.five_in_place`.
FIVE_KEYS = ("responsible", "measures", "funds", "deadline", "plan")


def five_missing_keys(hazard: Hazard) -> list[str]:
    """Return the five-in-place keys a major hazard still lacks (none for a general hazard)."""
    if hazard.level != Level.MAJOR:
        return []
    return [key for key in FIVE_KEYS if not (hazard.five_in_place or {}).get(key)]


class Refused(Exception):
    """An operation the rules do not allow; nothing was changed."""

    def __init__(self, reason: Refusal, hazard: Hazard | None = None) -> None:
        super().__init__(f"{reason}: {hazard.code if hazard else '-'}")
        self.reason = reason
        self.hazard = hazard


class Tell(StrEnum):
    """Why people must be told about a change."""

    VERIFY = "verify"  # managers: a rectification waits for their verification
    REJECTED = "rejected"  # the fixer and the enterprise's leads: the fix was rejected (reason in the note)
    ACCEPTED = "accepted"  # the fixer and the enterprise's leads: the hazard is closed
    MAJOR = "major"  # managers (admin and manager roles): a hazard was made major (reported or set)
    FILED = "filed"  # the enterprise's leads: an inspector or a manager filed a hazard for their enterprise
    EXTENSION = "extension"  # managers: an extension request waits for their decision
    EXTENSION_DECIDED = "extension_decided"  # the requester: their extension request was decided


@dataclass
class Change:
    """What an operation did: the hazard, its new event (None when nothing changed), who to tell."""

    hazard: Hazard
    event: HazardEvent | None
    tell: dict[Tell, list[Person]] = field(default_factory=dict)
    photos_added: int = 0
    documents_added: int = 0

    @property
    def changed(self) -> bool:
        """Tell whether the operation changed anything."""
        return self.event is not None


# --- checks ---------------------------------------------------------------------------------


def check(actor: Person | None, hazard: Hazard, action: Action, *, fixer_id: int | None = None) -> None:
    """Raise `Refused` unless the actor may make this event happen to the hazard now.

    The system (`actor=None`) passes every permission check but never the status rules.
    """
    if actor is not None and not _permitted(actor, hazard, action, fixer_id):
        own_fix = action in (Action.ACCEPT, Action.REJECT) and may_verify(actor, None) and actor.id == fixer_id
        raise Refused(Refusal.OWN_FIX if own_fix else Refusal.NOT_ALLOWED, hazard)
    if not allowed(action, hazard.status):
        raise Refused(Refusal.WRONG_STATUS, hazard)


def _permitted(actor: Person, hazard: Hazard, action: Action, fixer_id: int | None) -> bool:
    match action:
        case Action.SET_DUE | Action.SET_LEVEL | Action.SET_CATEGORY:
            return may_edit_hazard(actor, hazard)
        case Action.FIVE:
            return may_fill_five(actor, hazard)
        case Action.FIX:
            return may_fix(actor, hazard)
        case Action.ACCEPT | Action.REJECT:
            return may_verify(actor, fixer_id)
        case Action.UNFIX:
            return fixer_id is not None and actor.id == fixer_id and may_fix(actor, hazard)
        case Action.PHOTOS | Action.DOCUMENTS:
            return may_add_photos(actor, hazard)
        case Action.REPORT:
            return may_report_for(actor, hazard.enterprise_id)
        case Action.CHANGE_DUE | Action.EXTEND_APPROVE | Action.EXTEND_REFUSE:
            return may_change_due(actor)
        case Action.EXTEND_ASK:
            return may_ask_extension(actor, hazard)
        case Action.WITHDRAW:
            return may_withdraw(actor, hazard)
        case Action.EDIT:
            return may_edit_description(actor, hazard)


def source_for(actor: Person) -> Source:
    """Return how a hazard this person reports now was found: by the enterprise itself, or by inspection."""
    return Source.SNAPSHOT if actor.role in ENTERPRISE_ROLES else Source.INSPECTION


def add_working_days(day: date, days: int) -> date:
    """Return the day `days` working days after `day`, skipping Saturdays and Sundays."""
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def immediate_due(hazard: Hazard, tz: tzinfo, grace_days: int) -> date:
    """Return the last day an immediate fix (立即整改) is not yet late: the day found plus working days."""
    return add_working_days(hazard.found_at.astimezone(tz).date(), grace_days)


def immediate_found_before(today: date, tz: tzinfo, grace_days: int) -> datetime:
    """Return the moment before which an immediate hazard found is overdue today."""
    day = today - timedelta(days=1)
    while add_working_days(day, grace_days) >= today:  # the latest found day whose grace ended before today
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)


def overdue_since(hazard: Hazard, today: date, tz: tzinfo = UTC, grace_days: int = 1) -> date | None:
    """Return the last day the hazard was not yet late, when it is overdue today (a derived state).

    A deadline hazard under rectification is late after its due date; an immediate one still unfixed
    after the end of the `grace_days`-th working day after the day it was found.
    """
    if hazard.mode == Mode.IMMEDIATE and hazard.status in UNFIXED_STATUSES:
        due = immediate_due(hazard, tz, grace_days)
        return due if due < today else None
    if hazard.status == HazardStatus.RECTIFYING and hazard.due_date is not None and hazard.due_date < today:
        return hazard.due_date
    return None


def is_overdue(hazard: Hazard, today: date, tz: tzinfo = UTC, grace_days: int = 1) -> bool:
    """Tell whether a hazard is overdue today: past its due date, or an immediate fix not done in time."""
    return overdue_since(hazard, today, tz, grace_days) is not None


def day_window(now: datetime) -> datetime:
    """Return the start of the duplicate-photo window: one day back."""
    return now - timedelta(days=1)


def is_reporter(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person reported the hazard and may still report for its enterprise.

    A reporter moved to another enterprise, or who lost their role, no longer acts as its reporter.
    """
    return hazard.reporter_id == person.id and may_report_for(person, hazard.enterprise_id)


def may_edit_hazard(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may set a hazard's deadline, level or category.

    Managers and the reporter may. The enterprise's own people may on hazards their enterprise
    reported itself (随手拍); a hazard found by an inspector or a manager is not downgraded by the
    enterprise it was found in.
    """
    if not role_allows(person.role, Perm.HAZARD_EDIT):
        return False
    if is_manager(person) or is_reporter(person, hazard):
        return True
    return (
        person.role in ENTERPRISE_ROLES
        and person.enterprise_id == hazard.enterprise_id
        and hazard.source == Source.SNAPSHOT
    )


def may_add_photos(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may add photos to a hazard: its reporter, or whoever may edit or fix it."""
    return is_reporter(person, hazard) or may_edit_hazard(person, hazard) or may_fix(person, hazard)


def may_fill_five(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may record five-in-place: the enterprise, managers, an inspector who reported it."""
    if not may_act_for(person, Perm.HAZARD_EDIT, hazard.enterprise_id):
        return False
    return person.role != Role.INSPECTOR or is_reporter(person, hazard)


def may_fix(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may submit a rectification for the hazard."""
    return may_act_for(person, Perm.HAZARD_FIX, hazard.enterprise_id)


def may_verify(person: Person, fixer_id: int | None) -> bool:
    """Tell whether the person may verify a fix: managers and admins, never their own fix."""
    return role_allows(person.role, Perm.HAZARD_VERIFY) and person.id != fixer_id


def may_change_due(person: Person) -> bool:
    """Tell whether the person may change a deadline already set: managers and admins."""
    return is_manager(person)


def may_ask_extension(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may ask for a later deadline: the enterprise's own people."""
    return may_act_for(person, Perm.HAZARD_EXTEND, hazard.enterprise_id)


def may_withdraw(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may withdraw a mistaken or duplicate report: a manager, or its reporter
    before a fix is submitted (a hazard waiting for verification must not skip it)."""
    if not role_allows(person.role, Perm.HAZARD_WITHDRAW):
        return False
    if is_manager(person):
        return True
    return is_reporter(person, hazard) and hazard.status != HazardStatus.AWAITING_VERIFICATION


def may_edit_description(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may rewrite a hazard's description: only its reporter."""
    return role_allows(person.role, Perm.HAZARD_EDIT) and is_reporter(person, hazard)
