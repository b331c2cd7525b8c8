"""The campaign rules as a table: who submits and reviews, the task steps, when owed tasks are reminded."""

from __future__ import annotations

from datetime import date

import pytest

from domain.campaigns import rules
from domain.campaigns.rules import Refusal, Step
from domain.outcome import Refused
from storage.enums import Role, TaskStatus
from storage.models import Campaign, CampaignTask, Person

DUE = date(2026, 12, 10)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 6), False),  # four days before: not yet
        (date(2026, 12, 7), True),  # `REMIND_DAYS_BEFORE` days before
        (DUE, True),
        (date(2027, 1, 9), True),  # `REMIND_DAYS_AFTER` days after
        (date(2027, 1, 10), False),
    ],
)
def test_owed_tasks_are_reminded_near_and_past_the_due_date(today: date, expected: bool) -> None:
    assert rules.reminder_due(Campaign(due_date=DUE), today) is expected


def test_days_late_and_the_first_overdue_day() -> None:
    campaign = Campaign(due_date=DUE)
    assert rules.first_overdue_day(campaign) == date(2026, 12, 11)
    assert [rules.days_late(campaign, d) for d in (date(2026, 12, 9), DUE, date(2026, 12, 12))] == [0, 0, 2]


@pytest.mark.parametrize(
    ("status", "step", "allowed"),
    [
        (TaskStatus.PENDING, Step.SUBMIT, True),
        (TaskStatus.RETURNED, Step.SUBMIT, True),
        (TaskStatus.SUBMITTED, Step.SUBMIT, False),
        (TaskStatus.SUBMITTED, Step.ACCEPT, True),
        (TaskStatus.SUBMITTED, Step.RETURN, True),
        (TaskStatus.ACCEPTED, Step.ACCEPT, False),
        (TaskStatus.PENDING, Step.RETURN, False),
    ],
)
def test_each_step_from_its_statuses(status: TaskStatus, step: Step, allowed: bool) -> None:
    task = CampaignTask(id=1, status=status)
    assert rules.may_step(task, step) is allowed
    if allowed:
        assert rules.check_step(task, step) == rules.RULES[step][1]
    else:
        with pytest.raises(Refused) as refused:
            rules.check_step(task, step)
        assert refused.value.reason == Refusal.WRONG_STATUS and refused.value.subject is task


@pytest.mark.parametrize(
    ("role", "enterprise_id", "expected"),
    [
        (Role.LEAD, 3, True),
        (Role.LEAD, 4, False),
        (Role.LEAD, None, False),
        (Role.MEMBER, 3, False),
        (Role.MANAGER, None, False),
    ],
)
def test_an_enterprise_s_own_lead_submits(role: Role, enterprise_id: int | None, expected: bool) -> None:
    assert rules.may_submit(Person(id=7, role=role, enterprise_id=enterprise_id), 3) is expected


def test_managers_review_never_their_own_submission() -> None:
    task = CampaignTask(id=1, status=TaskStatus.SUBMITTED, reporter_id=7)
    rules.check_review(Person(id=8, role=Role.MANAGER), task)
    for person, reason in (
        (Person(id=7, role=Role.ADMIN), Refusal.OWN_SUBMISSION),
        (Person(id=9, role=Role.LEAD), Refusal.NOT_ALLOWED),
    ):
        with pytest.raises(Refused) as refused:
            rules.check_review(person, task)
        assert refused.value.reason == reason
