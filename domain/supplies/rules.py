"""The emergency supplies rules (应急物资): who keeps the list and who records a check, when an item's next
check falls due (its cycle from the last check, or its expiry date, whichever comes first), when its
responsible person is reminded and when managers are told it is overdue.

Pure (no session, no SQLAlchemy; rows only in annotations), so they are tested as a table.
`domain/supplies/operations.py` checks them; `handlers/supplies/` words them; `schedules/supplies.py` asks
`reminder_due` / `overdue_days` every run.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.park.rules import Perm, may_act_for, role_allows
from storage.enums import SupplyCycle

if TYPE_CHECKING:
    from storage.models import Person, Supply

CODE_PREFIX = "WZ"  # an item's code is WZ-<id>, e.g. WZ-007
REMIND_BEFORE_DAYS = 7  # the responsible person is reminded this many days before a check falls due (once)
DIGEST_AHEAD_DAYS = 30  # the weekly digest lists what falls due within this many days
MAX_QUANTITY = 1_000_000
PARK_STORE_WORDS = ("园区仓库", "园区", "仓库", "管委会仓库", "应急物资库")  # the park's own store
CYCLE_MONTHS = {
    SupplyCycle.MONTHLY: 1,
    SupplyCycle.QUARTERLY: 3,
    SupplyCycle.HALF_YEARLY: 6,
    SupplyCycle.YEARLY: 12,
}


class Refusal(StrEnum):
    """Why a supplies operation was refused."""

    NOT_ALLOWED = "not_allowed"  # keeping the list: managers and admins
    NOT_YOURS = "not_yours"  # a lead checks only their own enterprise's items
    NO_PHOTO = "no_photo"  # a check is recorded with a photo
    NO_DUE = "no_due"  # an item needs a check cycle or an expiry date
    BAD_QUANTITY = "bad_quantity"
    RETIRED = "retired"  # the item was taken off the list
    UNKNOWN_PLACE = "unknown_place"  # an import names a place that is neither the park store nor an enterprise
    UNKNOWN_PERSON = "unknown_person"  # an import names a responsible person the bot does not know
    AMBIGUOUS_PERSON = "ambiguous_person"  # several people have that name


class Action(StrEnum):
    """What adding an item did (the `event` of its `Change`; the audit row is `supply.<action>`)."""

    ADDED = "add"  # a new item
    UPDATED = "update"  # the listed item of that name at that place, changed


class Tell(StrEnum):
    """Why people must be told about a supply item."""

    DUE_SOON = "due_soon"  # the responsible person: a check falls due within `REMIND_BEFORE_DAYS`
    OVERDUE = "overdue"  # managers (and the responsible person): a check is past due
    CHECKED = "checked"  # the responsible person: someone else recorded the check


@dataclass(frozen=True)
class Due:
    """When an item falls due next, and why: its periodic check or its expiry (更换)."""

    day: date
    expiry: bool


def may_manage(person: Person) -> bool:
    """Tell whether the person may add, import or change supply items: managers and admins."""
    return role_allows(person.role, Perm.SUPPLY_MANAGE)


def may_check(person: Person, supply: Supply) -> bool:
    """Tell whether the person may record a check of the item: managers and admins any, a lead only an item
    of their own enterprise (never the park store's)."""
    return may_act_for(person, Perm.SUPPLY_CHECK, supply.enterprise_id) and (
        supply.enterprise_id is not None or may_manage(person)
    )


def check_refusal(person: Person, supply: Supply) -> Refusal | None:
    """Return why the person may not record a check of the item (None: they may)."""
    if may_check(person, supply):
        return None
    return Refusal.NOT_YOURS if role_allows(person.role, Perm.SUPPLY_CHECK) else Refusal.NOT_ALLOWED


def may_see(person: Person, supply: Supply) -> bool:
    """Tell whether the person sees the item in /supplies: park staff all, enterprise staff their own and the
    park store's."""
    return supply.enterprise_id is None or may_act_for(person, Perm.VIEW, supply.enterprise_id)


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, the month's last day when it has no such day (01-31 + 1 → 02-28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_check_after(cycle: SupplyCycle | None, checked_on: date) -> date | None:
    """Return when the next periodic check falls due after one on `checked_on` (None: the item has no cycle)."""
    return add_months(checked_on, CYCLE_MONTHS[cycle]) if cycle is not None else None


def due_of(next_check: date | None, expires_on: date | None) -> Due | None:
    """Return what falls due first: the periodic check or the expiry (the expiry on the same day); None: neither."""
    if expires_on is not None and (next_check is None or expires_on <= next_check):
        return Due(expires_on, True)
    if next_check is not None:
        return Due(next_check, False)
    return None


def days_left(due: Due, today: date) -> int:
    """Return the days from `today` to the due day (negative: overdue by that many)."""
    return (due.day - today).days


def reminder_due(due: Due, today: date) -> bool:
    """Tell whether the responsible person is reminded on `today`: from `REMIND_BEFORE_DAYS` before the due
    day up to it (once per due day: the claim; quiet hours are checked apart)."""
    return 0 <= days_left(due, today) <= REMIND_BEFORE_DAYS


def overdue_days(due: Due, today: date) -> int:
    """Return how many days the item is overdue on `today` (0: not overdue; the due day itself is on time)."""
    return max(0, -days_left(due, today))


def falls_within(due: Due, today: date, days: int = DIGEST_AHEAD_DAYS) -> bool:
    """Tell whether an item falls due within `days` from `today`, or is overdue already."""
    return days_left(due, today) <= days


def valid_quantity(quantity: int) -> bool:
    """Tell whether a quantity is one people mean (1 to a million)."""
    return 0 < quantity <= MAX_QUANTITY


def code_of(supply_id: int) -> str:
    """Return an item's code as people read and type it: WZ-007."""
    return f"{CODE_PREFIX}-{supply_id:03d}"
