"""The responsibility letter rules (目标责任状): who issues the year's letter, who returns an enterprise's
signed scan, what a scan may be, why an operation is refused and why people are told.

Pure (no session, no SQLAlchemy; rows only in annotations), so they are tested as a table.
`domain/letters/operations.py` checks them; `handlers/letters/` words them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.park.rules import Perm, may_act_for, role_allows

if TYPE_CHECKING:
    from storage.models import LetterSignature, Person

FIRST_YEAR = 2000
LAST_YEAR = 2100
REMIND_AFTER_DAYS = (
    3  # enterprises that have not signed are reminded from this many days after the letter went out
)
REMIND_FOR_DAYS = 60  # and at most this long after it
SCAN_TYPES = ("application/pdf",)  # a signed letter comes back as a photo, or as one of these documents


class Refusal(StrEnum):
    """Why a letter operation was refused."""

    NOT_ALLOWED = "not_allowed"
    EXISTS = "exists"  # the year has its letter already
    BAD_YEAR = "bad_year"
    NO_DOCUMENT = "no_document"  # a letter goes out with its document
    NO_SCAN = "no_scan"  # a signature comes back as a photo or a PDF scan
    NOT_LISTED = "not_listed"  # the enterprise has no copy of this letter (joined the park later)
    SIGNED = "signed"  # the enterprise has signed already


class Tell(StrEnum):
    """Why people must be told about a change to a letter."""

    SIGNED = "signed"  # managers: an enterprise returned its signed letter


def may_issue(person: Person) -> bool:
    """Tell whether the person may issue the year's letter and see who has not signed: managers and admins."""
    return role_allows(person.role, Perm.LETTER_SEND)


def may_sign(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may return an enterprise's signed letter: its own lead (None: no enterprise)."""
    return enterprise_id is not None and may_act_for(person, Perm.LETTER_SIGN, enterprise_id)


def valid_year(year: int) -> bool:
    """Tell whether a letter's year is one people mean."""
    return FIRST_YEAR <= year <= LAST_YEAR


def is_scan(photos: int, mime_types: list[str]) -> bool:
    """Tell whether what came back is a signed scan: at least one photo or one PDF."""
    return photos > 0 or any(m in SCAN_TYPES for m in mime_types)


def is_signed(signature: LetterSignature) -> bool:
    """Tell whether an enterprise has signed its copy."""
    return signature.signed_at is not None


def reminder_due(issued: date, today: date) -> bool:
    """Tell whether enterprises that have not signed are reminded on `today` (the letter went out on `issued`):
    from `REMIND_AFTER_DAYS` to `REMIND_FOR_DAYS` days after it (quiet hours and the daily cap are checked apart)."""
    return REMIND_AFTER_DAYS <= (today - issued).days <= REMIND_FOR_DAYS
