"""What the overdue job says: the reminder to an enterprise's lead, the escalation to managers, the
mention in a group. The timing is `domain/hazards/rules.lateness`; the job is `schedules/hazards.py`.
"""

from __future__ import annotations

from handlers import texts as T
from handlers.util import short
from storage.models import Hazard, Person

# --- overdue ----------------------------------------------------------------------------------


def overdue_words(days: int) -> str:
    """Return 已逾期 N 天."""
    return T.OVERDUE.format(days=days)


def overdue_reminder(hazard: Hazard, days: int) -> str:
    """Return the private reminder to an enterprise's lead about an overdue hazard."""
    return T.OVERDUE_REMIND.format(
        enterprise=hazard.enterprise.name, code=hazard.code, description=short(hazard.description), overdue=overdue_words(days)
    )


def overdue_reminders(hazards: list[tuple[Hazard, int]]) -> str:
    """Return one private reminder about an enterprise's overdue hazards (each with its days overdue)."""
    if len(hazards) == 1:
        return overdue_reminder(*hazards[0])
    lines = [
        T.OVERDUE_REMIND_LINE.format(code=h.code, description=short(h.description, 24), overdue=overdue_words(days))
        for h, days in hazards
    ]
    return T.OVERDUE_REMIND_MANY.format(enterprise=hazards[0][0].enterprise.name, count=len(hazards), lines="\n".join(lines))


def overdue_escalation(hazard: Hazard, days: int) -> str:
    """Return the message to the managers about a hazard overdue long enough (or major)."""
    return T.OVERDUE_ESCALATE.format(
        enterprise=hazard.enterprise.name,
        level=T.LEVEL_NAMES[hazard.level],
        code=hazard.code,
        description=short(hazard.description),
        overdue=overdue_words(days),
    )


def overdue_officer(hazard: Hazard, days: int, others_after: int | None) -> str:
    """Return the message to the enterprise's officer about its overdue hazard; `others_after`: the days
    overdue at which the other managers will hear of it (None: they hear of it now too)."""
    text = T.OVERDUE_OFFICER.format(
        enterprise=hazard.enterprise.name,
        level=T.LEVEL_NAMES[hazard.level],
        code=hazard.code,
        description=short(hazard.description),
        overdue=overdue_words(days),
    )
    return text + (T.OVERDUE_OFFICER_FIRST.format(days=others_after) if others_after else "")


def overdue_group_mention(lead: Person, hazard: Hazard) -> str:
    """Return the one group line naming a lead the bot cannot write to privately about an overdue hazard."""
    name = f"@{lead.username}" if lead.username else lead.display_name
    return T.OVERDUE_REMIND_GROUP.format(name=name, code=hazard.code)


def overdue_escalation_group(hazard: Hazard, days: int) -> str:
    """Return the group line used when no manager can be written to privately."""
    return T.OVERDUE_ESCALATE_GROUP.format(
        level=T.LEVEL_NAMES[hazard.level], code=hazard.code, enterprise=hazard.enterprise.name, overdue=overdue_words(days)
    )
