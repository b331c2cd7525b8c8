"""Who may do what: the one place every command and button press is checked against.

The dispatcher checks a route's permission against the actor's role before any handler runs;
handlers that act on one enterprise's data also ask `may_act_for` with that enterprise.
"""

from __future__ import annotations

from enum import StrEnum

from storage.models import Hazard, Person


class Perm(StrEnum):
    PUBLIC = "public"  # /start, /help, /whoami, /join: anyone, even strangers
    VIEW = "view"  # lists and details: anyone with a role
    ENTERPRISE_ADD = "enterprise_add"
    ROLE_SET = "role_set"
    GROUP_SET = "group_set"
    JOIN_DECIDE = "join_decide"
    HAZARD_REPORT = "hazard_report"
    HAZARD_FIX = "hazard_fix"
    HAZARD_VERIFY = "hazard_verify"
    HAZARD_EDIT = "hazard_edit"


ALL_ROLES = ("admin", "manager", "inspector", "lead", "member")

ALLOWED: dict[Perm, tuple[str, ...]] = {
    Perm.PUBLIC: (),  # empty: nobody needs a role
    Perm.VIEW: ALL_ROLES,
    Perm.ENTERPRISE_ADD: ("admin",),
    Perm.ROLE_SET: ("admin",),
    Perm.GROUP_SET: ("admin",),
    Perm.JOIN_DECIDE: ("admin",),
    Perm.HAZARD_REPORT: ALL_ROLES,
    Perm.HAZARD_FIX: ("admin", "manager", "lead", "member"),
    Perm.HAZARD_VERIFY: ("admin", "manager"),
    Perm.HAZARD_EDIT: ALL_ROLES,
}

# Roles bound to one enterprise act only for it; the others act for any enterprise.
ENTERPRISE_BOUND = ("lead", "member")


def needed_roles(perm: Perm) -> tuple[str, ...]:
    """Return the roles that grant a permission (empty: anyone)."""
    return ALLOWED[perm]


def role_allows(role: str | None, perm: Perm) -> bool:
    """Tell whether a role grants a permission."""
    roles = ALLOWED[perm]
    return not roles or role in roles


def may_act_for(person: Person, perm: Perm, enterprise_id: int | None) -> bool:
    """Tell whether the person may use a permission on one enterprise's data."""
    if not role_allows(person.role, perm):
        return False
    if person.role in ENTERPRISE_BOUND:
        return person.enterprise_id is not None and person.enterprise_id == enterprise_id
    return True


def is_manager(person: Person) -> bool:
    """Tell whether the person sees the whole park (managers and admins)."""
    return person.role in ("admin", "manager")


def may_view_enterprise(person: Person, enterprise_id: int | None) -> bool:
    """Tell whether the person may see one enterprise's hazards (their own, or any for park-wide roles)."""
    return may_act_for(person, Perm.VIEW, enterprise_id)


def may_report_for(person: Person, enterprise_id: int) -> bool:
    """Tell whether the person may report a hazard for an enterprise."""
    return may_act_for(person, Perm.HAZARD_REPORT, enterprise_id)


def may_edit_hazard(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may set a hazard's deadline, level or category.

    Managers and the reporter may. The enterprise's own people may on hazards their enterprise
    reported itself (随手拍); a hazard found by an inspector or a manager is not downgraded by the
    enterprise it was found in.
    """
    if not role_allows(person.role, Perm.HAZARD_EDIT):
        return False
    if is_manager(person) or hazard.reporter_id == person.id:
        return True
    return (
        person.role in ENTERPRISE_BOUND
        and person.enterprise_id == hazard.enterprise_id
        and hazard.source == "snapshot"
    )


def may_fill_five(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may record five-in-place: the enterprise, managers, an inspector who reported it."""
    if not may_act_for(person, Perm.HAZARD_EDIT, hazard.enterprise_id):
        return False
    return person.role != "inspector" or hazard.reporter_id == person.id


def may_fix(person: Person, hazard: Hazard) -> bool:
    """Tell whether the person may submit a rectification for the hazard."""
    return may_act_for(person, Perm.HAZARD_FIX, hazard.enterprise_id)


def fixes_by_photo_reply(person: Person) -> bool:
    """Tell whether a photo reply to a card (no /fix) counts as this person's rectification.

    Only for the enterprise's own people; a manager's photo may be a site check, so they write /fix.
    """
    return person.role in ENTERPRISE_BOUND


def may_verify(person: Person, fixer_id: int | None) -> bool:
    """Tell whether the person may verify a fix: managers and admins, never their own fix."""
    return role_allows(person.role, Perm.HAZARD_VERIFY) and person.id != fixer_id
