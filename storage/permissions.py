"""Who may do what: the one place every command, button press and domain operation is checked against.

The dispatcher checks a route's permission against the actor's role before any handler runs; the
domain operations in `storage/hazards.py` check the per-hazard rules below (own enterprise, own
fix) on every call, whoever calls them: a chat handler, a schedule or a later web page.
"""

from __future__ import annotations

from enum import StrEnum

from storage.enums import ENTERPRISE_ROLES, MANAGER_ROLES, HazardStatus, Role, Source
from storage.models import Hazard, Person


class Perm(StrEnum):
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
    HAZARD_EDIT = "hazard_edit"
    HAZARD_EXTEND = "hazard_extend"
    HAZARD_WITHDRAW = "hazard_withdraw"
    NOTICE_SEND = "notice_send"  # meeting notices, notices, /receipts, attendance
    NOTICE_ANSWER = "notice_answer"  # 收到 / 请假 for one's enterprise
    CAMPAIGN_SEND = "campaign_send"  # launch campaigns, see the matrix
    CAMPAIGN_REPORT = "campaign_report"  # submit the enterprise's self-inspection report
    CAMPAIGN_VERIFY = "campaign_verify"  # accept or return a report
    REPORTS = "reports"  # digests, summaries, the ledger export, recording inspections and drills


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
    Perm.HAZARD_EDIT: ALL_ROLES,
    Perm.HAZARD_EXTEND: ENTERPRISE_ROLES,  # managers change the date themselves with /due
    Perm.HAZARD_WITHDRAW: ALL_ROLES,  # the reporter or a manager (`may_withdraw`)
    Perm.NOTICE_SEND: MANAGER_ROLES,
    Perm.NOTICE_ANSWER: ENTERPRISE_ROLES,  # a lead's or a member's answer counts for their enterprise
    Perm.CAMPAIGN_SEND: MANAGER_ROLES,
    Perm.CAMPAIGN_REPORT: (Role.LEAD,),  # the enterprise's safety lead answers for it
    Perm.CAMPAIGN_VERIFY: MANAGER_ROLES,
    Perm.REPORTS: MANAGER_ROLES,
}


def needed_roles(perm: Perm) -> tuple[Role, ...]:
    """Return the roles that grant a permission (empty: anyone)."""
    return ALLOWED[perm]


def role_allows(role: Role | None, perm: Perm) -> bool:
    """Tell whether a role grants a permission."""
    roles = ALLOWED[perm]
    return not roles or role in roles


def may_act_for(person: Person, perm: Perm, enterprise_id: int | None) -> bool:
    """Tell whether the person may use a permission on one enterprise's data."""
    if not role_allows(person.role, perm):
        return False
    if person.role in ENTERPRISE_ROLES:
        return person.enterprise_id is not None and person.enterprise_id == enterprise_id
    return True


def is_manager(person: Person) -> bool:
    """Tell whether the person sees the whole park (managers and admins)."""
    return person.role in MANAGER_ROLES


def may_view_enterprise(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may see one enterprise's hazards (their own, or any for park-wide roles)."""
    return may_act_for(person, Perm.VIEW, enterprise_id)


def may_report_for(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may report a hazard for an enterprise."""
    return may_act_for(person, Perm.HAZARD_REPORT, enterprise_id)


def is_reporter(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person reported the hazard and may still report for its enterprise.

    A reporter moved to another enterprise, or who lost their role, no longer acts as its reporter.
    """
    return hazard.reporter_id == person.id and may_report_for(person, hazard.enterprise_id)


def may_edit_hazard(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may set a hazard's deadline, level or category.

    Managers and the reporter may. The enterprise's own people may on hazards their enterprise
    reported itself (随手拍); a hazard found by an inspector or a manager is not downgraded by the
    enterprise it was found in.
    """
    if not role_allows(person.role, Perm.HAZARD_EDIT):
        return False
    if is_manager(person) or is_reporter(person, hazard):
        return True
    return (
        person.role in ENTERPRISE_ROLES
        and person.enterprise_id == hazard.enterprise_id
        and hazard.source == Source.SNAPSHOT
    )


def may_add_photos(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may add photos to a hazard: its reporter, or whoever may edit or fix it."""
    return is_reporter(person, hazard) or may_edit_hazard(person, hazard) or may_fix(person, hazard)


def may_fill_five(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may record five-in-place: the enterprise, managers, an inspector who reported it."""
    if not may_act_for(person, Perm.HAZARD_EDIT, hazard.enterprise_id):
        return False
    return person.role != Role.INSPECTOR or is_reporter(person, hazard)


def may_fix(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may submit a rectification for the hazard."""
    return may_act_for(person, Perm.HAZARD_FIX, hazard.enterprise_id)


def may_verify(person: Person, fixer_id: int | None) -> bool:
    """Tell whether the person may verify a fix: managers and admins, never their own fix."""
    return role_allows(person.role, Perm.HAZARD_VERIFY) and person.id != fixer_id


def may_decide_join(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may approve or reject a request to join an enterprise: admins, its leads."""
    if person.role == Role.ADMIN:
        return True
    return person.role == Role.LEAD and person.enterprise_id == enterprise_id


def may_view_people(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may list the people of an enterprise (None: the whole park)."""
    if not role_allows(person.role, Perm.PEOPLE_VIEW):
        return False
    return is_manager(person) or (enterprise_id is not None and person.enterprise_id == enterprise_id)


def may_change_due(person: Person) -> bool:
    """Tell whether the person may change a deadline already set: managers and admins."""
    return is_manager(person)


def may_ask_extension(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may ask for a later deadline: the enterprise's own people."""
    return may_act_for(person, Perm.HAZARD_EXTEND, hazard.enterprise_id)


def may_withdraw(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may withdraw a mistaken or duplicate report: a manager, or its reporter
    before a fix is submitted (a hazard waiting for verification must not skip it)."""
    if not role_allows(person.role, Perm.HAZARD_WITHDRAW):
        return False
    if is_manager(person):
        return True
    return is_reporter(person, hazard) and hazard.status != HazardStatus.AWAITING_VERIFICATION


def may_edit_description(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may rewrite a hazard's description: only its reporter."""
    return role_allows(person.role, Perm.HAZARD_EDIT) and is_reporter(person, hazard)


def may_answer_for_enterprise(person: Person) -> bool:
    """Tell whether the person's receipt counts for an enterprise: a lead or member bound to one."""
    return role_allows(person.role, Perm.NOTICE_ANSWER) and person.enterprise_id is not None


def may_change_answer(person: Person, enterprise_id: int, answered_by: int | None) -> bool:
    """Tell whether the person may change an enterprise's receipt someone already gave: the one who
    gave it, or a lead of that enterprise (a member may not overwrite the lead's answer, nor another's)."""
    if answered_by is None or answered_by == person.id:
        return True
    return person.role == Role.LEAD and person.enterprise_id == enterprise_id


def may_send_notices(person: Person) -> bool:
    """Tell whether the person may issue, move or cancel notices and record attendance."""
    return role_allows(person.role, Perm.NOTICE_SEND)


def may_report_campaign(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may submit an enterprise's campaign report: its own lead."""
    return may_act_for(person, Perm.CAMPAIGN_REPORT, enterprise_id)


def may_review_report(person: Person, reporter_id: int | None) -> bool:
    """Tell whether the person may accept or return a campaign report: managers, never their own."""
    return role_allows(person.role, Perm.CAMPAIGN_VERIFY) and person.id != reporter_id
