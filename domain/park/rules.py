"""Who may do what: the permission table and the park-wide predicates (roles, own enterprise).

The dispatcher checks a route's permission against the actor's role before any handler runs; each
subject's `rules.py` adds its own per-row predicates on top of these.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from storage.enums import ENTERPRISE_ROLES, MANAGER_ROLES, Role

if TYPE_CHECKING:  # rules read rows' attributes; they never load SQLAlchemy themselves
    from storage.models import Enterprise, JoinRequest, Person


class Perm(StrEnum):
    """What a route or an action needs; `ALLOWED` names the roles that grant each."""

    PUBLIC = "public"  # /start, /help, /whoami, /join: anyone, even strangers
    VIEW = "view"  # lists and details: anyone with a role
    ENTERPRISE_ADD = "enterprise_add"
    ROLE_SET = "role_set"
    GROUP_SET = "group_set"
    JOIN_DECIDE = "join_decide"
    PEOPLE_VIEW = "people_view"
    HAZARD_REPORT = "hazard_report"
    HAZARD_FIX = "hazard_fix"
    HAZARD_VERIFY = "hazard_verify"
    HAZARD_RECHECK = "hazard_recheck"  # 验收 or 复查 a fix: managers; an inspector on their own find, if the park allows
    HAZARD_EDIT = "hazard_edit"
    HAZARD_EXTEND = "hazard_extend"
    HAZARD_WITHDRAW = "hazard_withdraw"
    NOTICE_SEND = "notice_send"  # meeting notices, notices, /receipts, attendance
    NOTICE_ANSWER = "notice_answer"  # 收到 / 请假 for one's enterprise
    CAMPAIGN_SEND = "campaign_send"  # launch campaigns, see the matrix
    CAMPAIGN_REPORT = "campaign_report"  # submit the enterprise's self-inspection report
    CAMPAIGN_VERIFY = "campaign_verify"  # accept or return a report
    LETTER_SEND = "letter_send"  # issue the year's responsibility letter (目标责任状), see who has not signed
    LETTER_SIGN = "letter_sign"  # return the enterprise's signed letter (a photo or PDF scan)
    REPORTS = "reports"  # digests, summaries, the ledger export, recording inspections and drills
    INSPECTION_RUN = "inspection_run"  # open and close an inspection (检查) that finds hazards
    OFFICER_VIEW = "officer_view"  # /officer alone: which officer looks after which enterprise
    OFFICER_SET = "officer_set"  # assign an enterprise's officer (包片包户), also by the enterprise CSV import
    WEB_DESK = "web_desk"  # /web: sign in to the web desk (a lead sees their own enterprise only)
    QUIZ_BANK = "quiz_bank"  # import questions into the knowledge-quiz bank (知识答题题库) from a CSV/Excel file
    QUIZ_RUN = "quiz_run"  # start and end a quiz, get its per-person sheet
    QUIZ_TAKE = "quiz_take"  # take a quiz one's enterprise is invited to (once per person)
    ROSTER_EDIT = "roster_edit"  # keep the emergency command's members (应急救援指挥部): add, remove, link, import
    ROSTER_VIEW = "roster_view"  # list every member with their phones (privately)
    ALERT_CALL = "alert_call"  # start and end a roll call (应急点名, /alert)
    BACKFILL = "backfill"  # 补录: enter a past record with its real date (no broadcast, no reminder)
    SUPPLY_MANAGE = "supply_manage"  # add, import and change emergency supplies (应急物资)
    SUPPLY_CHECK = "supply_check"  # record a check of a supply item with its photo
    PUBLICITY_RECORD = "publicity_record"  # record publicity (宣传单页, 横幅, activities) and see the year's totals


ALL_ROLES = tuple(Role)

ALLOWED: dict[Perm, tuple[Role, ...]] = {
    Perm.PUBLIC: (),  # empty: nobody needs a role
    Perm.VIEW: ALL_ROLES,
    Perm.ENTERPRISE_ADD: (Role.ADMIN,),
    Perm.ROLE_SET: (Role.ADMIN,),
    Perm.GROUP_SET: (Role.ADMIN,),
    Perm.JOIN_DECIDE: (Role.ADMIN, Role.LEAD),  # a lead only for their own enterprise (`may_decide_join`)
    Perm.PEOPLE_VIEW: (Role.ADMIN, Role.MANAGER, Role.LEAD),  # a lead only their own enterprise's
    Perm.HAZARD_REPORT: ALL_ROLES,
    Perm.HAZARD_FIX: (Role.ADMIN, Role.MANAGER, Role.LEAD, Role.MEMBER),
    Perm.HAZARD_VERIFY: MANAGER_ROLES,
    # An inspector only on a hazard they found, and only where `park.inspector_recheck` is on
    # (`domain/hazards/rules.may_verify`).
    Perm.HAZARD_RECHECK: (*MANAGER_ROLES, Role.INSPECTOR),
    Perm.HAZARD_EDIT: ALL_ROLES,
    Perm.HAZARD_EXTEND: ENTERPRISE_ROLES,  # managers change the date themselves with /due
    Perm.HAZARD_WITHDRAW: ALL_ROLES,  # the reporter or a manager (`may_withdraw`)
    Perm.NOTICE_SEND: MANAGER_ROLES,
    Perm.NOTICE_ANSWER: ENTERPRISE_ROLES,  # a lead's or a member's answer counts for their enterprise
    Perm.CAMPAIGN_SEND: MANAGER_ROLES,
    Perm.CAMPAIGN_REPORT: (Role.LEAD,),  # the enterprise's safety lead answers for it
    Perm.CAMPAIGN_VERIFY: MANAGER_ROLES,
    Perm.LETTER_SEND: MANAGER_ROLES,
    Perm.LETTER_SIGN: (Role.LEAD,),  # the enterprise's safety lead signs for it
    Perm.REPORTS: MANAGER_ROLES,
    Perm.INSPECTION_RUN: (*MANAGER_ROLES, Role.INSPECTOR),
    Perm.OFFICER_VIEW: MANAGER_ROLES,
    Perm.OFFICER_SET: (Role.ADMIN,),
    Perm.WEB_DESK: (*MANAGER_ROLES, Role.LEAD),
    Perm.QUIZ_BANK: MANAGER_ROLES,
    Perm.QUIZ_RUN: MANAGER_ROLES,
    Perm.QUIZ_TAKE: ENTERPRISE_ROLES,  # an enterprise's people; which enterprises is the quiz's own list
    Perm.ROSTER_EDIT: (Role.ADMIN,),
    Perm.ROSTER_VIEW: MANAGER_ROLES,
    Perm.ALERT_CALL: MANAGER_ROLES,
    Perm.BACKFILL: MANAGER_ROLES,
    Perm.SUPPLY_MANAGE: MANAGER_ROLES,
    Perm.SUPPLY_CHECK: (*MANAGER_ROLES, Role.LEAD),  # a lead only their own enterprise's items (`may_check`)
    Perm.PUBLICITY_RECORD: MANAGER_ROLES,
}


def needed_roles(perm: Perm) -> tuple[Role, ...]:
    """Return the roles that grant a permission (empty: anyone)."""
    return ALLOWED[perm]


def role_allows(role: Role | None, perm: Perm) -> bool:
    """Tell whether a role grants a permission."""
    roles = ALLOWED[perm]
    return not roles or role in roles


# Who decides a request to join an enterprise: these roles for any enterprise, those only for their own.
JOIN_DECIDERS_PARK: tuple[Role, ...] = (Role.ADMIN,)
class Someone(Protocol):
    """What the park-wide predicates read of a person: an ORM `Person`, or the `Actor` the bookkeeping
    lane reads (`storage/identity.py`) for a command that only shows something or a 收到 pressed."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> Role | None: ...

    @property
    def enterprise_id(self) -> int | None: ...


JOIN_DECIDERS_OWN: tuple[Role, ...] = (Role.LEAD,)


def may_act_for(person: Person, perm: Perm, enterprise_id: int | None) -> bool:
    """Tell whether the person may use a permission on one enterprise's data."""
    if not role_allows(person.role, perm):
        return False
    if is_enterprise_staff(person):
        return person.enterprise_id is not None and person.enterprise_id == enterprise_id
    return True


def may_recheck(person: Someone, inspector_recheck: bool) -> bool:
    """Tell whether the person verifies fixes at all (验收 / 复查): managers, and inspectors where the park
    allows them to re-check what they found (`park.inspector_recheck`; which hazards is
    `domain/hazards/rules.may_verify`)."""
    return role_allows(person.role, Perm.HAZARD_VERIFY) or (inspector_recheck and person.role == Role.INSPECTOR)


def is_stranger(person: Someone) -> bool:
    """Tell whether the person has no role yet: they may only greet the bot, ask for help and ask to join."""
    return person.role is None


def is_manager(person: Someone) -> bool:
    """Tell whether the person sees the whole park (managers and admins)."""
    return person.role in MANAGER_ROLES


def is_enterprise_staff(person: Someone) -> bool:
    """Tell whether the person is one of an enterprise's own people (a lead or a member), not park staff.

    They act for their own enterprise only: fix its hazards, answer its notices and campaigns.
    """
    return person.role in ENTERPRISE_ROLES


def binds_enterprise(role: Role | None) -> bool:
    """Tell whether a role is held in one enterprise (lead, member): the only roles a /join asks for, and
    the ones an admin names an enterprise with when giving them."""
    return role in ENTERPRISE_ROLES


def may_ask_to_join(person: Person) -> bool:
    """Tell whether the person may ask to join an enterprise: anyone but park staff (admins, managers,
    inspectors), whose role only an admin changes; approving their request would demote them."""
    return is_stranger(person) or is_enterprise_staff(person)


def holds_role(person: Person, role: Role, enterprise_id: int) -> bool:
    """Tell whether the person already holds this role in this enterprise (asking for it again changes nothing)."""
    return person.role == role and person.enterprise_id == enterprise_id


def may_view_enterprise(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may see one enterprise's hazards (their own, or any for park-wide roles)."""
    return may_act_for(person, Perm.VIEW, enterprise_id)


def may_report_for(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may report a hazard for an enterprise."""
    return may_act_for(person, Perm.HAZARD_REPORT, enterprise_id)


def may_decide_join(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may approve or reject a request to join an enterprise: admins, its leads."""
    if person.role in JOIN_DECIDERS_PARK:
        return True
    return person.role in JOIN_DECIDERS_OWN and person.enterprise_id == enterprise_id


def join_still_fits(request: JoinRequest) -> bool:
    """Tell whether approving a join request would still do what was asked: the person was not made park
    staff meanwhile (approving would demote them) and the enterprise is still on the park's list."""
    return may_ask_to_join(request.person) and request.enterprise.active


def may_view_people(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may list the people of an enterprise (None: the whole park)."""
    if not role_allows(person.role, Perm.PEOPLE_VIEW):
        return False
    return is_manager(person) or (enterprise_id is not None and person.enterprise_id == enterprise_id)


# --- officers per enterprise (包片包户) ----------------------------------------------------------------


class OfficerRefusal(StrEnum):
    """Why assigning an enterprise's officer was refused (the `reason` of `domain.outcome.Refused`)."""

    NOT_ALLOWED = "not_allowed"  # only admins assign officers
    NOT_MANAGER = "not_manager"  # the officer must be committee staff who verify fixes (a manager or an admin)
    ENTERPRISE_INACTIVE = "enterprise_inactive"  # the enterprise is no longer on the park's list
    OFFICER_UNKNOWN = "officer_unknown"  # the enterprise import names nobody the bot knows
    OFFICER_AMBIGUOUS = "officer_ambiguous"  # the enterprise import names several people


def may_assign_officer(person: Person) -> bool:
    """Tell whether the person may assign or remove an enterprise's officer: admins only."""
    return role_allows(person.role, Perm.OFFICER_SET)


def may_be_officer(person: Person) -> bool:
    """Tell whether the person can look after enterprises as their officer: a manager (admins too, who do
    everything a manager does). Someone who lost that role stops being an officer."""
    return is_manager(person)


def officer_refusal(actor: Person, officer: Person | None, enterprise: Enterprise) -> OfficerRefusal | None:
    """Return why the actor may not make `officer` (None: remove it) the enterprise's officer (None: they may)."""
    if not may_assign_officer(actor):
        return OfficerRefusal.NOT_ALLOWED
    if officer is not None and not may_be_officer(officer):
        return OfficerRefusal.NOT_MANAGER
    if officer is not None and not enterprise.active:
        return OfficerRefusal.ENTERPRISE_INACTIVE
    return None


def acting_officer(officer: Person | None) -> Person | None:
    """Return the enterprise's officer if they still act as one (still a manager), else None."""
    return officer if officer is not None and may_be_officer(officer) else None


def is_officer_of(person: Person, enterprise: Enterprise) -> bool:
    """Tell whether the person is the enterprise's officer (and still a manager)."""
    return enterprise.officer_id == person.id and may_be_officer(person)


def folded(text: str) -> str:
    """Return a name as names are compared: full- and half-width alike (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def names_of(enterprise: Enterprise) -> list[str]:
    """Return the enterprise's full name and aliases, folded for comparison."""
    return [folded(n) for n in (enterprise.name, *enterprise.aliases)]


def is_exact(enterprise: Enterprise, text: str) -> bool:
    """Tell whether the text is the enterprise's full name or one of its aliases (width and case aside)."""
    return folded(text).strip() in names_of(enterprise)
