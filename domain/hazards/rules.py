"""The hazard rules as pure functions and tables: who may do what to a hazard in which status, when it
is overdue, and when its overdue reminders are due.

No session and no SQLAlchemy here (rows are read by attribute, named in annotations only):
`operations.py` checks these on every change and raises `domain.outcome.Refused` with a `Refusal`
from here; `queries.py` builds the overdue SQL from the same constants (`overdue_clauses`), which the
reports and the overdue job read; the chat handlers (`handlers/hazards/`) render the refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.outcome import Refused
from domain.park.rules import Perm, is_manager, may_act_for, may_report_for, role_allows
from storage.enums import (
    ENTERPRISE_ROLES,
    OPEN_STATUSES,
    PARK_ROLES,
    UNFIXED_STATUSES,
    HazardStatus,
    Level,
    Mode,
    Role,
    Source,
)

if TYPE_CHECKING:  # rules read rows' attributes; they never load SQLAlchemy themselves
    from storage.models import Hazard, Inspection, Person

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
    SET_LOCATION = "set_location"  # the location (部位) set or corrected, as the description is
    SEAL = "seal"  # the system sealed the state of a hazard reported before chain v2 (migration 0013)


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
    Action.SET_LOCATION: Rule(frozenset(OPEN_STATUSES), frozenset({None})),
}


def allowed(action: Action, status: HazardStatus | None) -> bool:
    """Tell whether an event of this kind may happen to a hazard in this status."""
    return status in RULES[action].sources


class Refusal(StrEnum):
    """Why an operation was refused (the `reason` of `domain.outcome.Refused`); handlers turn each into a clear answer."""

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
    MAJOR_DOWNGRADE = "major_downgrade"  # only managers and inspectors make a major hazard general
    RECHECK_OFF = "recheck_off"  # an inspector verifies (复查) only where the park allows it
    NOT_FINDER = "not_finder"  # an inspector re-checks only the hazards they found


# The five-in-place (五落实) of a major hazard, as stored in `Hazard.five_in_place`.
FIVE_KEYS = ("responsible", "measures", "funds", "deadline", "plan")


def five_missing_keys(hazard: Hazard) -> list[str]:
    """Return the five-in-place keys a major hazard still lacks (none for a general hazard)."""
    if hazard.level != Level.MAJOR:
        return []
    return [key for key in FIVE_KEYS if not (hazard.five_in_place or {}).get(key)]


class Tell(StrEnum):
    """Why people must be told about a change (the keys of `domain.outcome.Change.tell`)."""

    VERIFY = "verify"  # managers: a rectification waits for their verification
    REJECTED = "rejected"  # the fixer and the enterprise's leads: the fix was rejected (reason in the note)
    ACCEPTED = "accepted"  # the fixer and the enterprise's leads: the hazard is closed
    MAJOR = "major"  # managers (admin and manager roles): a hazard was made major (reported or set)
    FILED = "filed"  # the enterprise's leads: an inspector or a manager filed a hazard for their enterprise
    EXTENSION = "extension"  # managers: an extension request waits for their decision
    EXTENSION_DECIDED = "extension_decided"  # the requester: their extension request was decided
    DOWNGRADED = "downgraded"  # managers: a major hazard was made general (they were alerted when it became major)
    FINDER_CLOSED = "finder_closed"  # the inspector who found the hazard: it is closed (销号)
    FINDER_RECHECK = "finder_recheck"  # the inspector who found it, where the park lets them re-check: a fix waits


# --- checks ---------------------------------------------------------------------------------


def check(
    actor: Person | None,
    hazard: Hazard,
    action: Action,
    *,
    fixer_id: int | None = None,
    finder_rechecks: bool = False,
) -> None:
    """Raise `Refused` unless the actor may make this event happen to the hazard now.

    The system (`actor=None`) passes every permission check but never the status rules. `finder_rechecks`
    is the park's setting (`park.inspector_recheck`): the inspector who found a hazard may verify its fix.
    """
    if actor is not None and not _permitted(actor, hazard, action, fixer_id, finder_rechecks):
        raise Refused(_denial(actor, hazard, action, fixer_id, finder_rechecks), hazard)
    if not allowed(action, hazard.status):
        raise Refused(Refusal.WRONG_STATUS, hazard)


def may_do(
    person: Person,
    hazard: Hazard,
    action: Action,
    *,
    fixer_id: int | None = None,
    level: Level | None = None,
    finder_rechecks: bool = False,
) -> bool:
    """Tell whether the person may make this event happen to the hazard now, as the operation would judge
    it (`check`, and for a level, `may_downgrade_major`). Cards and lists show a person only the buttons
    this allows; the press is checked again by the operation itself.
    """
    try:
        check(person, hazard, action, fixer_id=fixer_id, finder_rechecks=finder_rechecks)
    except Refused:
        return False
    lowering = action == Action.SET_LEVEL and hazard.level == Level.MAJOR and level != Level.MAJOR
    return not (lowering and not may_downgrade_major(person))


def _denial(actor: Person, hazard: Hazard, action: Action, fixer_id: int | None, finder_rechecks: bool) -> Refusal:
    """Say why a permission check failed: a verification of one's own fix, an inspector's re-check, or not allowed."""
    if action not in (Action.ACCEPT, Action.REJECT):
        return Refusal.NOT_ALLOWED
    if actor.id == fixer_id and may_verify(actor, None, hazard, finder_rechecks=finder_rechecks):
        return Refusal.OWN_FIX
    if actor.role == Role.INSPECTOR:
        return Refusal.NOT_FINDER if finder_rechecks else Refusal.RECHECK_OFF
    return Refusal.NOT_ALLOWED


def _permitted(actor: Person, hazard: Hazard, action: Action, fixer_id: int | None, finder_rechecks: bool) -> bool:
    match action:
        case Action.SET_DUE | Action.SET_LEVEL | Action.SET_CATEGORY:
            return may_edit_hazard(actor, hazard)
        case Action.FIVE:
            return may_fill_five(actor, hazard)
        case Action.FIX:
            return may_fix(actor, hazard)
        case Action.ACCEPT | Action.REJECT:
            return may_verify(actor, fixer_id, hazard, finder_rechecks=finder_rechecks)
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
        case Action.EDIT | Action.SET_LOCATION:
            return may_edit_description(actor, hazard)
        case Action.SEAL:
            return False  # only the system seals a hazard's state into the chain


def source_for(actor: Person) -> Source:
    """Return how a hazard this person reports now was found: by the enterprise itself, or by inspection."""
    return Source.SNAPSHOT if actor.role in ENTERPRISE_ROLES else Source.INSPECTION


def asks_location(reporter: Person, location: str) -> bool:
    """Tell whether the bot asks for the location (部位) of a hazard just reported: an inspector's find
    without one (the ledger files it by place); anyone may still skip it (跳过)."""
    return reporter.role == Role.INSPECTOR and not location.strip()


def add_working_days(day: date, days: int) -> date:
    """Return the day `days` working days after `day`, skipping Saturdays and Sundays."""
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


# --- overdue (逾期), a derived state ----------------------------------------------------------------
# `overdue_since` decides it in Python from these constants; `queries.overdue_clauses` writes the
# same two conditions in SQL for the lists, the reports and the overdue job.

DEADLINE_LATE_STATUS = HazardStatus.RECTIFYING  # a deadline hazard is late after its due date while rectifying
IMMEDIATE_LATE_STATUSES = UNFIXED_STATUSES  # an immediate fix is late until it is submitted


def immediate_due(found_at: datetime, tz: tzinfo, grace_days: int) -> date:
    """Return the last day an immediate fix (立即整改) is not yet late: the park day found plus working days."""
    return add_working_days(found_at.astimezone(tz).date(), grace_days)


def immediate_found_before(today: date, tz: tzinfo, grace_days: int) -> datetime:
    """Return the moment before which an immediate hazard found is overdue today."""
    day = today - timedelta(days=1)
    while add_working_days(day, grace_days) >= today:  # the latest found day whose grace ended before today
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)


def overdue_since(hazard: Hazard, today: date, tz: tzinfo = UTC, grace_days: int = 1) -> date | None:
    """Return the last day the hazard was not yet late, when it is overdue today (None: not overdue).

    A deadline hazard under rectification is late after its due date; an immediate one still unfixed
    after the end of the `grace_days`-th working day after the day it was found.
    """
    if hazard.mode == Mode.IMMEDIATE and hazard.status in IMMEDIATE_LATE_STATUSES:
        due = immediate_due(hazard.found_at, tz, grace_days)
        return due if due < today else None
    if hazard.status == DEADLINE_LATE_STATUS and hazard.due_date is not None and hazard.due_date < today:
        return hazard.due_date
    return None


DUE_SOON_DAYS = 3  # a fix due within this many days waits in people's to-do lists (我的待办) as due soon


def fix_due(hazard: Hazard, tz: tzinfo = UTC, grace_days: int = 1) -> date | None:
    """Return the last day a hazard's fix is due: its deadline, or an immediate fix's last day (None: not set)."""
    if hazard.mode == Mode.IMMEDIATE:
        return immediate_due(hazard.found_at, tz, grace_days)
    return hazard.due_date


def due_soon(hazard: Hazard, today: date, tz: tzinfo = UTC, grace_days: int = 1) -> bool:
    """Tell whether a hazard still to be fixed is overdue or due within `DUE_SOON_DAYS` days."""
    if hazard.status not in UNFIXED_STATUSES:
        return False
    due = fix_due(hazard, tz, grace_days)
    return due is not None and due <= today + timedelta(days=DUE_SOON_DAYS)


OFFICER_AFTER_DAYS = 1  # the enterprise's officer (包片干部) hears of an overdue hazard on its first late day


@dataclass(frozen=True)
class Lateness:
    """How late a hazard is today, and who among the committee must now hear of it."""

    since: date  # the last day it was not yet late
    days: int  # days late today
    escalate: bool  # late long enough for the managers (all of them but the enterprise's officer, told first)
    officer: bool = True  # late long enough for the enterprise's officer


def lateness(
    hazard: Hazard, today: date, tz: tzinfo, grace_days: int, escalate_after_days: int
) -> Lateness | None:
    """Return how late the hazard is today and whether the managers are due to be told (None: not late).

    The timing of the overdue reminders (`schedules/hazards.py` sends them): the enterprise's leads
    hear of it once every park day it is late; its officer (包片干部), where it has one, once per due date
    (`since`) from its first late day; the other managers once per due date, when it is
    `escalate_after_days` days late (the escalation delay), a major hazard on its first late day.
    """
    since = overdue_since(hazard, today, tz, grace_days)
    if since is None:
        return None
    days = (today - since).days
    threshold = 1 if hazard.level == Level.MAJOR else escalate_after_days
    return Lateness(since, days, days >= threshold, days >= OFFICER_AFTER_DAYS)


def day_window(now: datetime) -> datetime:
    """Return the start of the duplicate-photo window: one day back."""
    return now - timedelta(days=1)


def is_reporter(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person reported the hazard and may still report for its enterprise.

    A reporter moved to another enterprise, or who lost their role, no longer acts as its reporter.
    """
    return hazard.reporter_id == person.id and may_report_for(person, hazard.enterprise_id)


def sees_whole_park(person: Person) -> bool:
    """Tell whether the person's hazard lists and searches cover the whole park: admins, managers, inspectors."""
    return person.role in PARK_ROLES


def view_scope(person: Person) -> int | None:
    """Return the enterprise the person's hazard lists and searches are limited to (None: the whole park)."""
    return None if sees_whole_park(person) else person.enterprise_id


class EditDenial(StrEnum):
    """Why a person may not set a hazard's deadline, level or category (see `may_edit_hazard`)."""

    OTHER_ENTERPRISE = "other_enterprise"  # an enterprise's person, on another enterprise's hazard
    FOUND_BY_OTHERS = "found_by_others"  # the enterprise's own person, on a hazard an inspector or manager found
    NOT_REPORTER = "not_reporter"  # a park-wide role that did not report it (an inspector)


def edit_denial(person: Person, hazard: Hazard) -> EditDenial | None:
    """Return why the person may not set the hazard's deadline, level or category (None: they may)."""
    if may_edit_hazard(person, hazard):
        return None
    if person.role in ENTERPRISE_ROLES:
        own = person.enterprise_id == hazard.enterprise_id
        return EditDenial.FOUND_BY_OTHERS if own else EditDenial.OTHER_ENTERPRISE
    return EditDenial.NOT_REPORTER


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


def may_downgrade_major(person: Person) -> bool:
    """Tell whether the person may make a major hazard general: managers and inspectors only.

    Managers were alerted when the hazard became major; an enterprise lowering its own major hazard
    would leave them believing something untrue, so the enterprise asks a manager instead.
    """
    return is_manager(person) or person.role == Role.INSPECTOR


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


def may_verify(
    person: Person, fixer_id: int | None, hazard: Hazard | None = None, *, finder_rechecks: bool = False
) -> bool:
    """Tell whether the person may verify a fix (验收 / 复查): managers and admins; where the park allows it
    (`finder_rechecks`), also the inspector who found the hazard. Never one's own fix."""
    if person.id == fixer_id:
        return False
    if role_allows(person.role, Perm.HAZARD_VERIFY):
        return True
    return finder_rechecks and hazard is not None and is_finder(person, hazard)


def is_finder(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person is the inspector who found the hazard (and is an inspector still)."""
    return person.role == Role.INSPECTOR and hazard.reporter_id == person.id


def may_change_due(person: Person) -> bool:
    """Tell whether the person may change a deadline already set: managers and admins."""
    return is_manager(person)


def may_ask_extension(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may ask for a later deadline: the enterprise's own people."""
    return may_act_for(person, Perm.HAZARD_EXTEND, hazard.enterprise_id)


def may_withdraw(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may withdraw a mistaken or duplicate report: a manager, or its reporter.

    The reporter only before a fix is submitted: a hazard waiting for verification must not skip it.
    """
    if not role_allows(person.role, Perm.HAZARD_WITHDRAW):
        return False
    if is_manager(person):
        return True
    return is_reporter(person, hazard) and hazard.status != HazardStatus.AWAITING_VERIFICATION


def may_edit_description(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may rewrite a hazard's description: only its reporter."""
    return role_allows(person.role, Perm.HAZARD_EDIT) and is_reporter(person, hazard)


def linked_inspection(open_inspections: Sequence[Inspection], person_id: int, enterprise_id: int) -> int | None:
    """Return the id of the open inspection (检查) a hazard this person reports for the enterprise is found
    on: one they opened or are listed in that covers the enterprise (the newest if several), or None."""
    covering = [
        i.id
        for i in open_inspections
        if i.closed_at is None
        and person_id in (i.recorded_by_id, *(i.inspector_ids or ()))
        and enterprise_id in (i.enterprise_ids or ())
    ]
    return max(covering, default=None)
