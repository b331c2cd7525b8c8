"""The hazard rules as tables: pure functions over rows' attributes, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from domain.hazards.rules import FIVE_KEYS, EditDenial, edit_denial, lateness, view_scope
from handlers import texts as T
from storage.enums import HazardStatus, Level, Mode, Role, Source

TODAY = date(2026, 12, 10)  # a Thursday


def hazard(**fields: Any) -> Any:
    row = {
        "id": 1,
        "enterprise_id": 1,
        "reporter_id": 9,
        "source": Source.SNAPSHOT,
        "status": HazardStatus.RECTIFYING,
        "mode": Mode.DEADLINE,
        "due_date": date(2026, 12, 1),
        "level": Level.GENERAL,
        "found_at": datetime(2026, 11, 30, 1, 0, tzinfo=UTC),
    }
    return SimpleNamespace(**(row | fields))


def person(role: Role, enterprise_id: int | None = None, id: int = 5) -> Any:
    return SimpleNamespace(id=id, role=role, enterprise_id=enterprise_id)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, (date(2026, 12, 1), 9, True)),  # past its due date for 9 days: the managers hear of it
        ({"due_date": date(2026, 12, 8)}, (date(2026, 12, 8), 2, False)),  # not yet 3 days
        (
            {"due_date": date(2026, 12, 9), "level": Level.MAJOR},
            (date(2026, 12, 9), 1, True),
        ),  # major: at once
        ({"due_date": date(2026, 12, 10)}, None),  # due today: not late
        ({"status": HazardStatus.AWAITING_VERIFICATION}, None),  # fixed, waiting for verification
        (
            {"mode": Mode.IMMEDIATE, "due_date": None, "status": HazardStatus.REPORTED},
            (date(2026, 12, 1), 9, True),
        ),
        ({"mode": Mode.IMMEDIATE, "due_date": None, "found_at": datetime(2026, 12, 9, 1, tzinfo=UTC)}, None),
    ],
)
def test_lateness_says_how_late_and_when_the_managers_hear(fields: dict[str, Any], expected: Any) -> None:
    late = lateness(hazard(**fields), TODAY, UTC, grace_days=1, escalate_after_days=3)
    got = None if late is None else (late.since, late.days, late.escalate)
    assert got == expected


@pytest.mark.parametrize(
    ("who", "fields", "expected"),
    [
        (person(Role.MANAGER), {}, None),
        (person(Role.LEAD, 1), {}, None),  # the enterprise's own 随手拍
        (person(Role.LEAD, 2), {}, EditDenial.OTHER_ENTERPRISE),
        (person(Role.MEMBER, 1), {"source": Source.INSPECTION}, EditDenial.FOUND_BY_OTHERS),
        (person(Role.INSPECTOR), {}, EditDenial.NOT_REPORTER),
        (person(Role.INSPECTOR, id=9), {"source": Source.INSPECTION}, None),  # the inspector who found it
    ],
)
def test_edit_denial_names_why_a_person_may_not_edit(who: Any, fields: dict[str, Any], expected: Any) -> None:
    assert edit_denial(who, hazard(**fields)) == expected


def test_view_scope_is_the_whole_park_or_the_own_enterprise() -> None:
    assert [view_scope(person(r, 3)) for r in Role] == [None, None, None, 3, 3]


def test_five_in_place_names_follow_the_rule_keys() -> None:
    assert tuple(T.FIVE_FIELDS) == FIVE_KEYS
