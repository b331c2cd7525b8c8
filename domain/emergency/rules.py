"""The emergency command rules (应急救援指挥部): who keeps the roster, who sees its phones, who calls the
roll, what a member line and a phone number may be, who is called first, when a silent member is reminded
and how long someone took to answer.

Pure (no session, no SQLAlchemy; rows only in annotations), so they are tested as a table.
`domain/emergency/operations.py` checks them; `handlers/emergency/` words them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.park.rules import Perm, folded, role_allows

if TYPE_CHECKING:
    from storage.models import EmergencyMember, Person, RollCall, RollCallAnswer

NAME_LIMIT = 50
ROLE_LIMIT = 50
UNIT_LIMIT = 100
NOTE_LIMIT = 200
MAX_PHONES = 3
MAX_DUTY_ORDER = 99
PHONE_RE = re.compile(r"^\+?\d[\d-]{4,18}\d$")  # 13800000000, 0546-8888888, +8613800000000, 110 is too short
DRILL_WORDS = ("演练", "演习", "drill")  # a roll call whose note starts with one of these takes a drill's attendance


class Refusal(StrEnum):
    """Why a roster or roll call operation was refused."""

    NOT_ALLOWED = "not_allowed"
    BAD_NAME = "bad_name"
    BAD_PHONE = "bad_phone"
    NO_PHONE = "no_phone"
    TOO_MANY_PHONES = "too_many_phones"
    BAD_ORDER = "bad_order"
    NOT_MEMBER = "not_member"  # no member of that name
    ACCOUNT_UNKNOWN = "account_unknown"  # the chat account named is nobody the bot knows, or several people
    PERSON_TAKEN = "person_taken"  # the person is linked to another member already
    OPEN = "open"  # a roll call is open already: end it first
    NONE_OPEN = "none_open"
    ENDED = "ended"  # the roll call was ended before the press
    NOT_ASKED = "not_asked"  # the presser is not a member this roll call asked (a forged or foreign press)
    NOBODY = "nobody"  # the roster has no members to call


class Tell(StrEnum):
    """Why people must be told about a roll call."""

    ASKED = "asked"  # linked members: answer 到


def may_keep_roster(person: Person) -> bool:
    """Tell whether the person may add, remove, link and import the command's members: admins."""
    return role_allows(person.role, Perm.ROSTER_EDIT)


def may_view_roster(person: Person) -> bool:
    """Tell whether the person may list the whole roster with every phone: managers and admins."""
    return role_allows(person.role, Perm.ROSTER_VIEW)


def may_call_roll(person: Person) -> bool:
    """Tell whether the person may start or end a roll call (`/alert`): managers and admins."""
    return role_allows(person.role, Perm.ALERT_CALL)


def valid_name(text: str, limit: int = NAME_LIMIT) -> bool:
    """Tell whether a name, a role in the command or a unit is one word people mean (no spaces, not too long)."""
    return 0 < len(text) <= limit and not any(ch.isspace() for ch in text)


def valid_phone(text: str) -> bool:
    """Tell whether a phone number is one a person can dial: digits, dashes, an optional leading +."""
    return PHONE_RE.match(text) is not None


def phones_refusal(phones: list[str]) -> Refusal | None:
    """Return why a member's phones are not accepted (None: they are)."""
    if not phones:
        return Refusal.NO_PHONE
    if len(phones) > MAX_PHONES:
        return Refusal.TOO_MANY_PHONES
    if not all(valid_phone(p) for p in phones):
        return Refusal.BAD_PHONE
    return None


def valid_order(order: int | None) -> bool:
    """Tell whether an on-duty order is one (None: not on the duty chain)."""
    return order is None or 1 <= order <= MAX_DUTY_ORDER


def is_drill(note: str) -> bool:
    """Tell whether a roll call's note says it is a drill's (演练 …): it then takes the drill's attendance."""
    return folded(note).lstrip().startswith(DRILL_WORDS)


def drill_topic(note: str) -> str:
    """Return a drill roll call's note without its leading 演练 word (the card's title says 演练点名 already)."""
    stripped = note.lstrip()
    for word in DRILL_WORDS:
        if folded(stripped[: len(word)]) == word:
            return stripped[len(word) :].lstrip(" ：:，,") or note
    return note


def call_first(members: Iterable[EmergencyMember]) -> tuple[list[EmergencyMember], list[EmergencyMember]]:
    """Return who to call first: the office that coordinates (by on-duty order, then name), then the
    on-duty chain of the others in its order. Removed members and those on neither are left out."""
    present = [m for m in members if m.removed_at is None]

    def order(m: EmergencyMember) -> tuple[int, str]:
        return (m.duty_order if m.duty_order is not None else MAX_DUTY_ORDER + 1, m.name)

    office = sorted((m for m in present if m.office), key=order)
    chain = sorted((m for m in present if not m.office and m.duty_order is not None), key=order)
    return office, chain


def roll_order(members: Iterable[EmergencyMember]) -> list[EmergencyMember]:
    """Return the members in the order a roll call lists them: the office, the on-duty chain, then the rest."""
    present = [m for m in members if m.removed_at is None]
    office, chain = call_first(present)
    first = {id(m) for m in (*office, *chain)}
    return [*office, *chain, *(m for m in present if id(m) not in first)]


def is_open(call: RollCall) -> bool:
    """Tell whether a roll call still takes answers."""
    return call.ended_at is None


def answered(answer: RollCallAnswer) -> bool:
    """Tell whether the member answered 到."""
    return answer.answered_at is not None


def minutes_taken(started: datetime, at: datetime) -> int:
    """Return within how many minutes an answer came (a started minute counts whole; at least 1)."""
    return max(1, math.ceil((at - started).total_seconds() / 60))


def reminder_due(
    answer: RollCallAnswer, started: datetime, now: datetime, every: timedelta, most: int
) -> bool:
    """Tell whether a silent member is reminded now: linked, not answered, fewer than `most` reminders, and
    `every` passed since the roll call started or the last reminder. Quiet hours do not apply to an alert."""
    if answer.person_id is None or answered(answer) or answer.reminded >= most:
        return False
    since = answer.reminded_at or started
    return now - since >= every
