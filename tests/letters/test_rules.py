"""The responsibility letter rules as a table: who issues, who signs for which enterprise, what a scan is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.letters import rules
from domain.park.rules import Perm, role_allows
from storage.enums import Role
from storage.models import LetterSignature, Person


def person(role: Role | None, enterprise_id: int | None = None) -> Person:
    return Person(id=1, role=role, enterprise_id=enterprise_id)


@pytest.mark.parametrize(
    ("role", "enterprise_id", "issue", "sign_own", "sign_other"),
    [
        (Role.ADMIN, None, True, False, False),  # committee staff have no enterprise to sign for
        (Role.MANAGER, None, True, False, False),
        (Role.INSPECTOR, None, False, False, False),
        (Role.LEAD, 7, False, True, False),  # a lead signs for their own enterprise only
        (Role.MEMBER, 7, False, False, False),
        (None, None, False, False, False),
    ],
)
def test_who_issues_and_who_signs(
    role: Role | None, enterprise_id: int | None, issue: bool, sign_own: bool, sign_other: bool
) -> None:
    p = person(role, enterprise_id)
    assert rules.may_issue(p) is issue
    assert rules.may_sign(p, enterprise_id if enterprise_id is not None else 7) is sign_own
    assert rules.may_sign(p, 8) is sign_other


def test_the_permission_rows() -> None:
    assert [r for r in Role if role_allows(r, Perm.LETTER_SEND)] == [Role.ADMIN, Role.MANAGER]
    assert [r for r in Role if role_allows(r, Perm.LETTER_SIGN)] == [Role.LEAD]


@pytest.mark.parametrize(
    ("photos", "mimes", "expected"),
    [
        (1, [], True),
        (0, ["application/pdf"], True),
        (0, ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"], False),
        (0, [], False),
        (2, ["application/msword"], True),
    ],
)
def test_a_signed_scan_is_a_photo_or_a_pdf(photos: int, mimes: list[str], expected: bool) -> None:
    assert rules.is_scan(photos, mimes) is expected


def test_years_and_signed() -> None:
    assert rules.valid_year(2026) and not rules.valid_year(26) and not rules.valid_year(20266)
    assert not rules.is_signed(LetterSignature(signed_at=None))
    assert rules.is_signed(LetterSignature(signed_at=datetime(2026, 12, 1, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("days", "expected"), [(0, False), (2, False), (3, True), (30, True), (60, True), (61, False)]
)
def test_unsigned_enterprises_are_reminded_from_three_days_after_for_sixty_days(
    days: int, expected: bool
) -> None:
    issued = date(2026, 11, 30)
    assert rules.reminder_due(issued, issued + timedelta(days=days)) is expected
