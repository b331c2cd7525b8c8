"""Permission matrix: every hazard action by every role (and a stranger), as tables of the rules.

The dispatcher checks a route's permission against the role table (`domain/park/rules.py` `ALLOWED`)
before any handler runs; each subject's `may_*` predicates then decide on the row. Both are pure
functions of a person's role and enterprise and a row's few fields, so they are checked here on light
in-memory people and hazards, without a database. A few cases at the end run through the whole core
(commands and forged button presses) to prove the dispatcher applies the same table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.messages import Sender
from domain.campaigns.rules import may_review, may_submit
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import may_edit_hazard, may_fill_five, may_fix, may_verify
from domain.notices.rules import may_answer_for_enterprise, may_change_answer, may_send_notices
from domain.park.rules import (
    ALLOWED,
    Perm,
    join_still_fits,
    may_ask_to_join,
    may_decide_join,
    may_report_for,
    may_view_enterprise,
    may_view_people,
    role_allows,
)
from storage.enums import HazardStatus, Level, Role, Source
from storage.models import AuditEntry, Hazard
from tests.harness import ADMIN, CHEN, LI, LIU, XIAO, ZHANG, ZHAO, Harness, jpeg

HUAYOU, HONGDA = 1, 2  # enterprise ids, in the order `seed` adds them


@dataclass(frozen=True)
class Someone:
    """A person as the rules read one: an id, a role, an enterprise."""

    id: int
    role: Role | None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class AHazard:
    """A hazard as the rules read one: by default 华油's, reported by its lead (随手拍), just reported."""

    enterprise_id: int = HUAYOU
    reporter_id: int = 4  # the lead
    source: Source = Source.SNAPSHOT
    status: HazardStatus = HazardStatus.REPORTED
    level: Level = Level.GENERAL


# The personas of `tests/harness.py` (`seed`), by the role they play here.
PEOPLE: dict[str, Someone] = {
    "admin": Someone(1, Role.ADMIN),
    "manager": Someone(2, Role.MANAGER),
    "inspector": Someone(3, Role.INSPECTOR),
    "lead": Someone(4, Role.LEAD, HUAYOU),
    "member": Someone(5, Role.MEMBER, HUAYOU),
    "other_lead": Someone(6, Role.LEAD, HONGDA),
    "stranger": Someone(7, None),
}
LEAD = PEOPLE["lead"]

FRESH = AHazard()  # no deadline yet: the card offers deadline, level and category buttons
RECTIFYING = AHazard(status=HazardStatus.RECTIFYING)
MAJOR = AHazard(status=HazardStatus.RECTIFYING, level=Level.MAJOR)

Rule = Callable[[Any], bool]  # asked of a person


# --- the role table the dispatcher checks ---------------------------------------------------------

ROLES: dict[str, Role | None] = {"stranger": None, **{r.value: r for r in Role}}
ANYONE = set(ROLES)
EVERY_ROLE = ANYONE - {"stranger"}
MANAGERS = {"admin", "manager"}
ENTERPRISE = {"lead", "member"}
ROLE_TABLE: dict[Perm, set[str]] = {
    Perm.PUBLIC: ANYONE,
    Perm.VIEW: EVERY_ROLE,
    Perm.ENTERPRISE_ADD: {"admin"},
    Perm.ROLE_SET: {"admin"},
    Perm.GROUP_SET: {"admin"},
    Perm.JOIN_DECIDE: {"admin", "lead"},
    Perm.PEOPLE_VIEW: {"admin", "manager", "lead"},
    Perm.HAZARD_REPORT: EVERY_ROLE,
    Perm.HAZARD_FIX: MANAGERS | ENTERPRISE,
    Perm.HAZARD_VERIFY: MANAGERS,
    Perm.HAZARD_RECHECK: MANAGERS
    | {"inspector"},  # an inspector only on their own find, where the park allows
    Perm.HAZARD_EDIT: EVERY_ROLE,
    Perm.HAZARD_EXTEND: ENTERPRISE,
    Perm.HAZARD_WITHDRAW: EVERY_ROLE,
    Perm.NOTICE_SEND: MANAGERS,
    Perm.NOTICE_ANSWER: ENTERPRISE,
    Perm.CAMPAIGN_SEND: MANAGERS,
    Perm.CAMPAIGN_REPORT: {"lead"},
    Perm.CAMPAIGN_VERIFY: MANAGERS,
    Perm.LETTER_SEND: MANAGERS,
    Perm.LETTER_SIGN: {"lead"},  # the enterprise's safety lead returns its signed letter
    Perm.REPORTS: MANAGERS,
    Perm.INSPECTION_RUN: MANAGERS | {"inspector"},
    Perm.OFFICER_VIEW: MANAGERS,
    Perm.OFFICER_SET: {"admin"},  # an officer (包片干部) must be a manager: `tests/park/test_officers.py`
    Perm.QUIZ_BANK: MANAGERS,
    Perm.QUIZ_RUN: MANAGERS,
    Perm.QUIZ_TAKE: ENTERPRISE,  # which enterprises: the quiz's own list (`tests/quiz/test_rules.py`)
    Perm.ROSTER_EDIT: {"admin"},  # the emergency command's members: `tests/emergency/test_rules.py`
    Perm.ROSTER_VIEW: MANAGERS,  # every member's phones, privately
    Perm.ALERT_CALL: MANAGERS,  # a roll call (应急点名)
}


def test_the_role_table_names_every_permission() -> None:
    assert set(ROLE_TABLE) == set(Perm) == set(ALLOWED)


@pytest.mark.parametrize("perm", list(Perm), ids=[p.value for p in Perm])
def test_role_table(perm: Perm) -> None:
    granted = {name for name, role in ROLES.items() if role_allows(role, perm)}
    assert granted == ROLE_TABLE[perm]


# --- hazards: every action by every role ----------------------------------------------------------

EVERYONE = {"admin", "manager", "inspector", "lead", "member"}
ENTERPRISE_AND_MANAGERS = {"admin", "manager", "lead", "member"}
# Each action: the permission its route needs, the rule the domain checks on the row, who may.
MATRIX: dict[str, tuple[Perm, Rule, set[str]]] = {
    "report": (
        Perm.HAZARD_REPORT,
        lambda p: may_report_for(p, HUAYOU),
        EVERYONE,
    ),  # for 华油: not its neighbour's lead
    "view": (Perm.HAZARD_REPORT, lambda p: may_view_enterprise(p, HUAYOU), EVERYONE),  # /hazard <code>
    "list": (Perm.VIEW, lambda p: may_view_enterprise(p, HUAYOU), EVERYONE),
    "set_due": (
        Perm.HAZARD_EDIT,
        lambda p: may_edit_hazard(p, FRESH),
        ENTERPRISE_AND_MANAGERS,
    ),  # an inspector edits only what they reported
    "set_level": (Perm.HAZARD_EDIT, lambda p: may_edit_hazard(p, FRESH), ENTERPRISE_AND_MANAGERS),
    "set_category": (Perm.HAZARD_EDIT, lambda p: may_edit_hazard(p, FRESH), ENTERPRISE_AND_MANAGERS),
    "five": (Perm.HAZARD_EDIT, lambda p: may_fill_five(p, MAJOR), ENTERPRISE_AND_MANAGERS),
    "fix": (Perm.HAZARD_FIX, lambda p: may_fix(p, RECTIFYING), ENTERPRISE_AND_MANAGERS),
    "fix_button": (Perm.HAZARD_FIX, lambda p: may_fix(p, RECTIFYING), ENTERPRISE_AND_MANAGERS),
    "accept": (
        Perm.HAZARD_RECHECK,
        lambda p: may_verify(p, LEAD.id),
        {"admin", "manager"},
    ),  # the lead fixed it
    "reject": (Perm.HAZARD_RECHECK, lambda p: may_verify(p, LEAD.id), {"admin", "manager"}),
    # Where the park lets inspectors re-check (复查): the inspector who found it, besides the managers.
    "recheck_own_find": (
        Perm.HAZARD_RECHECK,
        lambda p: may_verify(p, LEAD.id, AHazard(reporter_id=PEOPLE["inspector"].id), finder_rechecks=True),
        {"admin", "manager", "inspector"},
    ),
    "recheck_others_find": (
        Perm.HAZARD_RECHECK,
        lambda p: may_verify(p, LEAD.id, AHazard(reporter_id=LEAD.id), finder_rechecks=True),
        {"admin", "manager"},
    ),
    "recheck_when_off": (
        Perm.HAZARD_RECHECK,
        lambda p: may_verify(p, LEAD.id, AHazard(reporter_id=PEOPLE["inspector"].id)),
        {"admin", "manager"},
    ),
}

CASES = [(action, role) for action in MATRIX for role in PEOPLE]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_permission_matrix(action: str, role: str) -> None:
    perm, rule, allowed = MATRIX[action]
    who = PEOPLE[role]
    took_effect = role_allows(who.role, perm) and rule(who)
    assert took_effect == (role in allowed), f"{role} {'could' if took_effect else 'could not'} {action}"
    assert not rule(who) or role_allows(who.role, perm), (
        "the row's rule never grants more than the role table"
    )


def test_nobody_verifies_their_own_fix() -> None:
    manager = PEOPLE["manager"]
    assert may_verify(manager, LEAD.id) and not may_verify(manager, manager.id)


def test_an_inspector_edits_and_fills_in_what_they_reported() -> None:
    inspector = PEOPLE["inspector"]
    found = AHazard(reporter_id=inspector.id, source=Source.INSPECTION, level=Level.MAJOR)
    assert may_edit_hazard(inspector, found) and may_fill_five(inspector, found)
    assert not may_edit_hazard(
        PEOPLE["member"], found
    )  # the enterprise does not downgrade an inspection's find


# --- the park, notices and campaigns --------------------------------------------------------------

OTHERS: dict[str, tuple[Rule, set[str]]] = {
    "ask_to_join": (may_ask_to_join, {"lead", "member", "other_lead", "stranger"}),  # park staff never
    "decide_join_huayou": (lambda p: may_decide_join(p, HUAYOU), {"admin", "lead"}),
    "list_huayou_people": (lambda p: may_view_people(p, HUAYOU), {"admin", "manager", "lead"}),
    "list_park_people": (lambda p: may_view_people(p, None), {"admin", "manager"}),
    "send_notices": (may_send_notices, MANAGERS),
    "answer_notice": (may_answer_for_enterprise, {"lead", "member", "other_lead"}),
    "change_members_answer": (
        lambda p: may_change_answer(p, HUAYOU, PEOPLE["member"].id),
        {"lead", "member"},
    ),
    "submit_campaign": (lambda p: may_submit(p, HUAYOU), {"lead"}),
    "review_campaign_submission": (lambda p: may_review(p, LEAD.id), MANAGERS),
}
OTHER_CASES = [(action, role) for action in OTHERS for role in PEOPLE]


@pytest.mark.parametrize(("action", "role"), OTHER_CASES, ids=[f"{a}-{r}" for a, r in OTHER_CASES])
def test_park_notice_and_campaign_rules(action: str, role: str) -> None:
    rule, allowed = OTHERS[action]
    assert rule(PEOPLE[role]) == (role in allowed)


@dataclass(frozen=True)
class AnEnterprise:
    """An enterprise as the rules read one: on the park's list or not."""

    active: bool = True


@dataclass(frozen=True)
class AJoinRequest:
    """A request to join as the rules read one: who asks, for which enterprise."""

    person: Someone
    enterprise: AnEnterprise = AnEnterprise()


def test_approving_a_join_fits_only_someone_not_made_park_staff_and_a_listed_enterprise() -> None:
    assert join_still_fits(AJoinRequest(PEOPLE["stranger"]))
    assert join_still_fits(AJoinRequest(PEOPLE["member"]))  # a member asking to become the lead
    assert not join_still_fits(AJoinRequest(PEOPLE["manager"]))  # made a manager meanwhile
    assert not join_still_fits(AJoinRequest(PEOPLE["stranger"], AnEnterprise(active=False)))


# --- through the whole core: the dispatcher applies the table to commands and to button presses -----

WHO: dict[str, Sender] = {
    "admin": ADMIN,
    "manager": LI,
    "inspector": ZHAO,
    "lead": ZHANG,
    "member": CHEN,
    "other_lead": LIU,
    "stranger": XIAO,
}


async def _hazard(h: Harness) -> Hazard | None:
    async with h.app.db.unit_of_work() as s:
        return await hazard_queries.hazard_by_code(s, "YH-2026-0001")  # with its enterprise


async def _new(h: Harness, text: str = "配电箱门未关闭") -> str:
    """Report hazard YH-2026-0001 of 华油 by its lead; return the card's message id."""
    out = await h.say(ZHANG, f"/hazard {text}", files=(h.add_file(jpeg(1)),))
    return next(s for s in out if s.card is not None).message_id


async def _press(h: Harness, who: Sender, card_id: str, data: str) -> None:
    sent = next(s for s in h.adapter.sent if s.message_id == card_id)
    await h.press(who, sent, data=data)


async def report(h: Harness, who: Sender) -> bool:
    await h.say(who, "/hazard 华油 二车间叉车无证驾驶 3天内", files=(h.add_file(jpeg(9)),))
    row = await _hazard(h)
    return row is not None and row.enterprise.name == "华油装备制造有限公司"


async def fix(h: Harness, who: Sender) -> bool:
    await _new(h, "配电箱门未关闭 3天内")
    await h.say(who, "/fix YH-2026-0001 已整改", files=(h.add_file(jpeg(3)),))
    row = await _hazard(h)
    return row is not None and row.status == "awaiting_verification"


async def set_due(h: Harness, who: Sender) -> bool:
    await _press(h, who, await _new(h), "hzdue:1:7")
    row = await _hazard(h)
    return row is not None and row.status == "rectifying"


async def accept(h: Harness, who: Sender) -> bool:
    card = await _new(h, "配电箱门未关闭 3天内")
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    await _press(h, who, card, "hzok:1")
    row = await _hazard(h)
    return row is not None and row.status == "closed"


# Refused by the role table (a stranger's command, an inspector's verify button), by the row's rule
# (another enterprise's lead fixing, an inspector setting a deadline on what they did not find), and
# allowed (a member's fix, a manager's verification).
CORE: dict[tuple[str, str], Callable[[Harness, Sender], Awaitable[bool]]] = {
    ("report", "stranger"): report,
    ("fix", "other_lead"): fix,
    ("fix", "member"): fix,
    ("accept", "inspector"): accept,
    ("set_due", "inspector"): set_due,
    ("accept", "manager"): accept,
}
BUTTONS = {"set_due", "accept"}


@pytest.mark.parametrize(("action", "role"), list(CORE), ids=[f"{a}-{r}" for a, r in CORE])
async def test_the_core_applies_the_matrix(seeded: Harness, action: str, role: str) -> None:
    h = seeded
    took_effect = await CORE[action, role](h, WHO[role])
    assert took_effect == (role in MATRIX[action][2]), (
        f"{role} {'could' if took_effect else 'could not'} {action}"
    )
    if not took_effect and action in BUTTONS:
        async with h.app.db.unit_of_work() as s:
            refused = await s.scalar(select(func.count()).where(AuditEntry.action == "button.refused"))
        assert refused == 1, "a refused button press is logged"
