"""`may_do` as a table: the buttons a person's own copy of a card shows are exactly what the operations
would let them do (issue 18, item 15), and `due_soon` for 我的待办."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from domain.hazards.rules import Action, due_soon, may_do
from storage.enums import HazardStatus, Level, Mode, Role, Source

S = HazardStatus


def hazard(**fields: Any) -> Any:
    row = {
        "id": 1,
        "enterprise_id": 1,
        "reporter_id": 9,
        "source": Source.INSPECTION,
        "status": S.RECTIFYING,
        "mode": Mode.DEADLINE,
        "due_date": date(2026, 12, 12),
        "level": Level.GENERAL,
        "found_at": datetime(2026, 12, 1, 1, tzinfo=UTC),
    }
    return SimpleNamespace(**(row | fields))


def person(role: Role, enterprise_id: int | None = None, id: int = 5) -> Any:
    return SimpleNamespace(id=id, role=role, enterprise_id=enterprise_id)


LEAD, OTHER_LEAD = person(Role.LEAD, 1), person(Role.LEAD, 2)
MANAGER, INSPECTOR = person(Role.MANAGER), person(Role.INSPECTOR, id=9)


@pytest.mark.parametrize(
    ("who", "fields", "action", "extra", "expected"),
    [
        (LEAD, {}, Action.FIX, {}, True),
        (OTHER_LEAD, {}, Action.FIX, {}, False),
        (LEAD, {}, Action.SET_LEVEL, {"level": Level.MAJOR}, False),  # an inspector's find
        (LEAD, {"source": Source.SNAPSHOT}, Action.SET_LEVEL, {"level": Level.MAJOR}, True),  # its own 随手拍
        (
            LEAD,
            {"source": Source.SNAPSHOT, "level": Level.MAJOR},
            Action.SET_LEVEL,
            {"level": Level.GENERAL},
            False,
        ),
        (MANAGER, {"level": Level.MAJOR}, Action.SET_LEVEL, {"level": Level.GENERAL}, True),
        (INSPECTOR, {"level": Level.MAJOR}, Action.SET_LEVEL, {"level": Level.GENERAL}, True),  # its reporter
        (LEAD, {"status": S.AWAITING_VERIFICATION}, Action.ACCEPT, {"fixer_id": 7}, False),
        (MANAGER, {"status": S.AWAITING_VERIFICATION}, Action.ACCEPT, {"fixer_id": 7}, True),
        (MANAGER, {"status": S.AWAITING_VERIFICATION}, Action.REJECT, {"fixer_id": 5}, False),  # own fix
        (MANAGER, {"status": S.CLOSED}, Action.ACCEPT, {"fixer_id": 7}, False),  # status no longer allows it
        (INSPECTOR, {}, Action.FIX, {}, False),
    ],
)
def test_may_do_is_what_the_operation_allows(
    who: Any, fields: dict[str, Any], action: Action, extra: dict[str, Any], expected: bool
) -> None:
    assert may_do(who, hazard(**fields), action, **extra) is expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, True),  # due in 2 days
        ({"due_date": date(2026, 12, 14)}, False),  # due in 4 days
        ({"due_date": date(2026, 12, 1)}, True),  # overdue
        ({"status": S.AWAITING_VERIFICATION}, False),  # fixed, waiting for verification
        ({"mode": Mode.IMMEDIATE, "due_date": None, "found_at": datetime(2026, 12, 9, 1, tzinfo=UTC)}, True),
        ({"mode": None, "due_date": None}, False),  # no deadline yet
    ],
)
def test_due_soon_for_the_todo_list(fields: dict[str, Any], expected: bool) -> None:
    assert due_soon(hazard(**fields), date(2026, 12, 10), UTC, 1) is expected
