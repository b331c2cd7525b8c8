"""The campaign rules: who submits and who reviews a task's self-inspection (its submission), the task
transitions, when an owed task is overdue and when it is reminded, why an operation is refused and why
people are told.

Pure (no session, no SQLAlchemy; rows only in annotations), so they are tested as a table.
`domain/campaigns/operations.py` checks them under its locks, `handlers/campaigns/` words them and
`schedules/campaigns.py` asks `reminder_due`; the park-wide permission table is `domain/park/rules.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.outcome import Refused
from domain.park.rules import Perm, is_manager, may_act_for, role_allows
from storage.enums import OWED_TASKS, Role, TaskStatus

if TYPE_CHECKING:
    from storage.models import Campaign, CampaignTask, Person

PREFIX = "ZX"
REMIND_DAYS_BEFORE = 3  # owed tasks are reminded from this many days before the due date
REMIND_DAYS_AFTER = 30  # and at most this long after it


class Step(StrEnum):
    """A step of a task; the value is the event's `action` as stored."""

    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    ADD = "add"  # more text, photos or files added to a submission still in review (补充材料)


# The statuses a task may be in for each step, and the status it moves to.
RULES: dict[Step, tuple[frozenset[TaskStatus], TaskStatus]] = {
    Step.SUBMIT: (frozenset(OWED_TASKS), TaskStatus.SUBMITTED),
    Step.ACCEPT: (frozenset({TaskStatus.SUBMITTED}), TaskStatus.ACCEPTED),
    Step.RETURN: (frozenset({TaskStatus.SUBMITTED}), TaskStatus.RETURNED),
    Step.ADD: (frozenset({TaskStatus.SUBMITTED}), TaskStatus.SUBMITTED),  # until it is decided
}


class Refusal(StrEnum):
    """Why a campaign operation was refused."""

    NOT_ALLOWED = "not_allowed"
    WRONG_STATUS = "wrong_status"  # the task's status does not allow it (already submitted, accepted…)
    NOT_LISTED = "not_listed"  # the enterprise has no task in this campaign (joined the park later)
    CLOSED = "closed"  # the campaign is closed
    OWN_SUBMISSION = "own_submission"  # nobody reviews their own submission
    LINKED = "linked"  # the hazard already belongs to another campaign


class Tell(StrEnum):
    """Why people must be told about a change to a task."""

    SUBMITTED = "submitted"  # managers: a submission waits for their review
    ADDED = "added"  # managers: a submission in review got more text or files
    ACCEPTED = "accepted"  # the submitter and the enterprise's leads: the submission was accepted
    RETURNED = "returned"  # the submitter and the enterprise's leads: returned, with the reason


# --- who may ----------------------------------------------------------------------------------


def may_launch(person: Person) -> bool:
    """Tell whether the person may launch campaigns and see the campaigns matrix: managers and admins."""
    return role_allows(person.role, Perm.CAMPAIGN_SEND)


def is_submitter(person: Person) -> bool:
    """Tell whether the person's role submits an enterprise's self-inspection (its lead), whatever their enterprise."""
    return role_allows(person.role, Perm.CAMPAIGN_REPORT)


def may_submit(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may submit an enterprise's self-inspection: its own lead (None: no enterprise)."""
    return enterprise_id is not None and may_act_for(person, Perm.CAMPAIGN_REPORT, enterprise_id)


def may_review(person: Person, submitter_id: int | None) -> bool:
    """Tell whether the person may accept or return a submission: managers, never their own."""
    return role_allows(person.role, Perm.CAMPAIGN_VERIFY) and person.id != submitter_id


def may_link_hazard(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may link a hazard of an enterprise to a campaign: managers, inspectors,
    or the enterprise's own people."""
    return is_manager(person) or person.role == Role.INSPECTOR or person.enterprise_id == enterprise_id


def may_step(task: CampaignTask, step: Step) -> bool:
    """Tell whether the task's status allows the step."""
    return task.status in RULES[step][0]


def check_step(task: CampaignTask, step: Step) -> TaskStatus:
    """Return the status the step moves the task to, or refuse WRONG_STATUS."""
    if not may_step(task, step):
        raise Refused(Refusal.WRONG_STATUS, task)
    return RULES[step][1]


def check_review(person: Person, task: CampaignTask) -> None:
    """Refuse a review by someone who may not review, or of their own submission."""
    if not may_review(person, task.reporter_id):
        own = is_manager(person) and person.id == task.reporter_id
        raise Refused(Refusal.OWN_SUBMISSION if own else Refusal.NOT_ALLOWED, task)


# --- when -------------------------------------------------------------------------------------


def is_overdue(task: CampaignTask, campaign: Campaign, today: date) -> bool:
    """Tell whether a task is still owed after its campaign's due date."""
    return task.status in OWED_TASKS and today > campaign.due_date


def first_overdue_day(campaign: Campaign) -> date:
    """Return the first park day a campaign is past its due date (its card shows the overdue count)."""
    return campaign.due_date + timedelta(days=1)


def days_late(campaign: Campaign, today: date) -> int:
    """Return how many days a campaign is past its due date on `today` (0 while it is not)."""
    return max((today - campaign.due_date).days, 0)


def reminder_due(campaign: Campaign, today: date) -> bool:
    """Tell whether owed tasks are reminded on `today`: from `REMIND_DAYS_BEFORE` days before the due date
    to `REMIND_DAYS_AFTER` days after it (quiet hours and the daily cap are checked apart)."""
    due = campaign.due_date
    return due - timedelta(days=REMIND_DAYS_BEFORE) <= today <= due + timedelta(days=REMIND_DAYS_AFTER)


@dataclass(frozen=True)
class Progress:
    """One campaign's tasks counted; `submitted` counts submissions in review and accepted ones."""

    campaign: Campaign
    total: int
    submitted: int
    accepted: int
    overdue: int


# --- a campaign named in a hazard's text --------------------------------------------------------

CAMPAIGN_CODE = re.compile(r"ZX-\d{4}-\d{1,4}", re.IGNORECASE)  # a campaign named in a hazard's text


def without_campaign_code(text: str) -> str:
    """Return a hazard text without the campaign code it names (the code links it; it is not its description)."""
    return " ".join(CAMPAIGN_CODE.sub(" ", text).split()) if CAMPAIGN_CODE.search(text) else text
