"""Hazards in lists as a person meets them: one line each (major hazards marked) with the buttons that
person may press (`card.actions_for`, by the rule the press meets), for `/hazards` (`view.py`) and the
hazard sections of 我的待办 (`handlers/todo/`): fixes to verify, hazards to fix, hazards due soon.

What waits for whom is read by `domain/hazards/queries.py` (`awaiting_verification`, `to_fix`) and
judged by `domain/hazards/rules.py` (`due_soon`, `may_do`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, Reply
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import DUE_SOON_DAYS, Action, due_soon, sees_whole_park
from domain.park import queries as park_queries
from domain.park.rules import is_enterprise_staff, may_recheck
from handlers import texts as T
from handlers.hazards.card import AcceptButton, FixButton, RejectButton, actions_for, status_text
from handlers.util import short
from storage.enums import HazardStatus, Level
from storage.models import Hazard, Person

# The buttons a list line carries: the next step of the closed loop, not every edit a card offers.
NEXT_STEPS = (FixButton.prefix, AcceptButton.prefix, RejectButton.prefix)


def hazard_line(h: Hazard, today: date, settings: Settings) -> str:
    """Return one line for a hazard: code, enterprise, description, status and due date; major ones marked."""
    due = T.HAZARD_LINE_DUE.format(due=h.due_date.strftime("%m-%d")) if h.due_date else ""
    name = h.enterprise.aliases[0] if h.enterprise.aliases else h.enterprise.name
    return T.HAZARD_LINE.format(
        major=T.HAZARD_LINE_MAJOR if h.level == Level.MAJOR else "",
        code=h.code,
        enterprise=name,
        description=short(h.description, 24),
        status=status_text(h, today, settings.park),
        due=due,
    )


def next_buttons(
    hazard: Hazard, person: Person, fixer_id: int | None, *, rechecks: bool = False
) -> tuple[Button, ...]:
    """Return the next-step buttons (提交整改, 验收通过 / 驳回) the person may press on a hazard, the
    first one named with the hazard's code (a list carries many)."""
    kept = [
        b
        for row in actions_for(hazard, person, fixer_id, rechecks=rechecks)
        for b in row
        if b.data.split(":")[0] in NEXT_STEPS
    ]
    if not kept:
        return ()
    first = Button(
        T.BTN_TODO_ITEM.format(code=hazard.code, label=kept[0].label), kept[0].data, kept[0].command
    )
    return (first, *kept[1:])


async def list_buttons(
    session: AsyncSession,
    rows: Sequence[Hazard],
    person: Person,
    settings: Settings,
    limit: int = T.HAZARD_LINE_BUTTONS,
) -> tuple[tuple[Button, ...], ...]:
    """Return a button row for each of the first hazards the person has a next step on."""
    rechecks = settings.park.inspector_recheck
    waiting = [h.id for h in rows[:limit] if h.status == HazardStatus.AWAITING_VERIFICATION]
    fixers = await hazard_queries.fixers(session, waiting) if may_recheck(person, rechecks) else {}
    found = (next_buttons(h, person, fixers.get(h.id), rechecks=rechecks) for h in rows[:limit])
    return tuple(row for row in found if row)


async def _rejected(session: AsyncSession, hazard: Hazard) -> str:
    """Say why a hazard is back to be fixed, when its last fix was rejected ("" otherwise)."""
    if hazard.status != HazardStatus.RECTIFYING:
        return ""
    last = await hazard_queries.last_events(session, hazard.id, (Action.FIX, Action.REJECT))
    fix, reject = last.get(Action.FIX), last.get(Action.REJECT)
    if reject is None or (fix is not None and fix.id > reject.id):
        return ""
    return T.TODO_REJECTED.format(reason=short(reject.note or "", 30))


def _section(
    title: str, total: int, lines: list[str], buttons: tuple[tuple[Button, ...], ...], more: str
) -> Reply:
    """Return one section: its title, the lines shown, how many more there are and where to see them."""
    text = [title, *lines]
    if total > len(lines):
        text.append(T.TODO_MORE.format(count=total - len(lines), command=more))
    return Reply(text="\n".join(text), buttons=buttons)


async def hazard_todo(session: AsyncSession, actor: Person, settings: Settings, now: datetime) -> list[Reply]:
    """Return the hazard sections of the person's to-do list (empty sections left out).

    A manager: fixes waiting for their verification (not their own), and the park's hazards due soon; an
    inspector: the park's hazards due soon (and, where the park lets them re-check, the fixes of what they
    found); an enterprise's people: their enterprise's hazards to fix.
    """
    today = settings.park.day(now)
    tz, grace = settings.park.tz, settings.park.immediate_grace_days
    rechecks = settings.park.inspector_recheck
    replies: list[Reply] = []
    if may_recheck(actor, rechecks):
        waiting = await hazard_queries.awaiting_verification(session)
        fixers = await hazard_queries.fixers(session, [h.id for h in waiting])
        mine = [h for h in waiting if next_buttons(h, actor, fixers.get(h.id), rechecks=rechecks)]
        officed = {e.id for e in await park_queries.officed_by(session, actor)}
        mine.sort(key=lambda h: h.enterprise_id not in officed)  # an officer's own enterprises first
        shown = mine[: T.TODO_SHOWN]
        if mine:
            lines = [
                T.TODO_VERIFY_LINE.format(
                    major=T.HAZARD_LINE_MAJOR if h.level == Level.MAJOR else "",
                    code=h.code,
                    enterprise=h.enterprise.aliases[0] if h.enterprise.aliases else h.enterprise.name,
                    description=short(h.description, 24),
                )
                for h in shown
            ]
            buttons = tuple(next_buttons(h, actor, fixers.get(h.id), rechecks=rechecks) for h in shown)
            title = T.TODO_VERIFY.format(count=len(mine))
            replies.append(_section(title, len(mine), lines, buttons, "/hazards 待验收"))
    if is_enterprise_staff(actor) and actor.enterprise_id is not None:
        found, total = await hazard_queries.to_fix(session, actor.enterprise_id, limit=200)
        rows = sorted(found, key=lambda h: (not due_soon(h, today, tz, grace), h.level != Level.MAJOR))
        shown = rows[: T.TODO_SHOWN]
        if rows:
            lines = [hazard_line(h, today, settings) + await _rejected(session, h) for h in shown]
            buttons = tuple(b for b in (next_buttons(h, actor, None) for h in shown) if b)
            replies.append(_section(T.TODO_FIX.format(count=total), total, lines, buttons, "/hazards"))
    elif sees_whole_park(actor):
        horizon = today + timedelta(days=DUE_SOON_DAYS)
        due, total = await hazard_queries.to_fix(
            session, None, due_by=horizon, tz=tz, grace_days=grace, limit=T.TODO_SHOWN
        )
        if due:
            lines = [hazard_line(h, today, settings) for h in due]
            title = T.TODO_DUE_SOON.format(count=total, days=DUE_SOON_DAYS)
            replies.append(_section(title, total, lines, (), "/hazards 逾期"))
    return replies


async def officer_todo(session: AsyncSession, actor: Person, settings: Settings, now: datetime) -> list[Reply]:
    """Return the section 我包联的企业 of an officer's to-do list: each enterprise they look after with its
    hazards still to fix (overdue among them) and fixes awaiting verification (empty for others)."""
    enterprises = await park_queries.officed_by(session, actor)
    if not enterprises:
        return []
    park = settings.park
    counts = await hazard_queries.open_counts(
        session, [e.id for e in enterprises], park.day(now), park.tz, park.immediate_grace_days
    )
    lines = [T.TODO_OFFICER.format(count=len(enterprises))]
    for e in enterprises:
        c = counts.get(e.id, hazard_queries.OpenCounts())
        parts = []
        if c.to_fix:
            overdue = T.TODO_OFFICER_OVERDUE.format(count=c.overdue) if c.overdue else ""
            parts.append(T.TODO_OFFICER_FIX.format(count=c.to_fix, overdue=overdue))
        if c.awaiting:
            parts.append(T.TODO_OFFICER_AWAITING.format(count=c.awaiting))
        said = "，".join(parts) or T.TODO_OFFICER_CLEAR
        lines.append(T.TODO_OFFICER_LINE.format(enterprise=e.name, said=said))
    return [Reply(text="\n".join(lines))]
