"""The campaign rules: the task transitions, refusals, and when an owed task is overdue."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.park.rules import Perm, may_act_for, role_allows
from storage.enums import (
    OWED_TASKS,
    TaskStatus,
)
from storage.models import (
    Campaign,
    CampaignEvent,
    CampaignTask,
    Person,
)


def may_report_campaign(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may submit an enterprise's campaign report: its own lead."""
    return may_act_for(person, Perm.CAMPAIGN_REPORT, enterprise_id)


def may_review_report(person: Person, reporter_id: int | None) -> bool:
    """Tell whether the person may accept or return a campaign report: managers, never their own."""
    return role_allows(person.role, Perm.CAMPAIGN_VERIFY) and person.id != reporter_id

PREFIX = "ZX"
S = TaskStatus

# The statuses a task may be in for each step, and the status it moves to.
RULES: dict[str, tuple[frozenset[TaskStatus], TaskStatus]] = {
    "submit": (frozenset({S.PENDING, S.RETURNED}), S.SUBMITTED),
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
}


class Refusal(StrEnum):
    """Why a campaign operation was refused."""

    NOT_ALLOWED = "not_allowed"
    WRONG_STATUS = "wrong_status"  # the task's status does not allow it (already submitted, accepted…)
    NOT_LISTED = "not_listed"  # the enterprise has no task in this campaign (joined the park later)
    CLOSED = "closed"  # the campaign is closed
    OWN_REPORT = "own_report"  # nobody reviews their own report
    LINKED = "linked"  # the hazard already belongs to another campaign


class Refused(Exception):
    """A campaign operation the rules do not allow; nothing was changed."""

    def __init__(self, reason: Refusal, task: CampaignTask | None = None) -> None:
        super().__init__(f"{reason}: {task.id if task else '-'}")
        self.reason = reason
        self.task = task


@dataclass
class Change:
    """What an operation did: the task (its campaign and enterprise loaded), its event, who to tell."""

    task: CampaignTask
    event: CampaignEvent | None
    tell: list[Person] = field(default_factory=list)


@dataclass(frozen=True)
class Progress:
    """One campaign's tasks counted; `submitted` counts reports in review and accepted ones."""

    campaign: Campaign
    total: int
    submitted: int
    accepted: int
    returned: int
    pending: int
    overdue: int


def is_overdue(task: CampaignTask, campaign: Campaign, today: date) -> bool:
    """Tell whether a task is still owed after its campaign's due date."""
    return task.status in OWED_TASKS and today > campaign.due_date


CAMPAIGN_CODE = re.compile(r"ZX-\d{4}-\d{1,4}", re.IGNORECASE)  # a campaign named in a hazard's text


def without_campaign_code(text: str) -> str:
    """Return a hazard text without the campaign code it names (the code links it; it is not its description)."""
    return " ".join(CAMPAIGN_CODE.sub(" ", text).split()) if CAMPAIGN_CODE.search(text) else text
