"""/todo (/待办) and /start: what waits for the person, each item with the buttons they may press.

Each subject renders its own section (`handlers/hazards/todo.py`, `handlers/notices/todo.py`,
`handlers/campaigns/todo.py`) from its domain queries and rules; this module only puts them in order:
an officer's own enterprises (我包联的企业), fixes to verify, hazards to fix or due soon, notices to answer,
reports to submit or review. A lead sees their enterprise's; managers and inspectors the park's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply
from bot.routing import Router
from domain.park.rules import Perm, is_enterprise_staff, is_stranger
from handlers import texts as T
from handlers.broadcast import private_chat
from handlers.campaigns.todo import campaign_todo
from handlers.emergency.todo import roll_call_todo
from handlers.hazards.todo import hazard_todo, officer_todo
from handlers.letters.todo import letter_todo
from handlers.notices.todo import notice_todo
from handlers.util import Reach, own_enterprise, recipient
from storage.models import Person

router = Router("todo")


async def todo_replies(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> list[Reply]:
    """Return the person's to-do list: a title, then each subject's sections (or that nothing waits)."""
    scope = (
        T.TODO_SCOPE_ENTERPRISE.format(enterprise=own_enterprise(actor))
        if is_enterprise_staff(actor)
        else T.TODO_SCOPE_PARK
    )
    title = T.TODO_TITLE.format(role=T.role_name(actor.role), scope=scope)
    sections = [
        *await roll_call_todo(session, actor),  # an open roll call waits for nobody
        *await officer_todo(session, actor, settings, now),  # an officer's own enterprises first (包片包户)
        *await hazard_todo(session, actor, settings, now),
        *await notice_todo(session, actor, settings, now),
        *await campaign_todo(session, actor, settings, now),
        *await letter_todo(session, actor),
    ]
    if not sections:
        none = (
            T.TODO_NO_ENTERPRISE
            if is_enterprise_staff(actor) and actor.enterprise_id is None
            else T.TODO_NONE
        )
        return [Reply(text=f"{title}\n{none}")]
    first, *rest = sections
    return [Reply(text=f"{title}\n{first.text}", buttons=first.buttons), *rest]


def _in_private(actor: Person, msg: Incoming, reach: Reach, replies: list[Reply]) -> list[Reply]:
    """Send a to-do list privately when asked in a group and the bot can write to the person; else here."""
    if not msg.chat.is_group or private_chat(actor, reach) is None:
        return replies
    to = (recipient(actor),)
    return [
        *(replace(r, people=to) for r in replies),
        Reply(text=T.TODO_SENT_PRIVATELY.format(name=actor.display_name)),
    ]


@router.command("todo", perm=Perm.VIEW, help_text=T.HELP["todo"], read_only=True)
async def todo(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, reach: Reach
) -> list[Reply]:
    """Show what waits for the person: privately when asked in a group (and the bot can write to them)."""
    return _in_private(actor, msg, reach, await todo_replies(session, actor, settings, now))


@router.command("start", perm=Perm.PUBLIC, help_text=T.HELP["start"], read_only=True)
async def start(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, reach: Reach
) -> list[Reply]:
    """Greet the person; a known person sees their to-do list first, a stranger how to join."""
    if is_stranger(actor):
        return [
            Reply(text=T.START.format(name=actor.display_name, park=settings.park.name) + T.START_STRANGER)
        ]
    hello = T.START_KNOWN.format(name=actor.display_name, park=settings.park.name)
    listed = await todo_replies(session, actor, settings, now)
    listed[0] = replace(listed[0], text=f"{hello}\n{listed[0].text}")
    listed[-1] = replace(listed[-1], text=f"{listed[-1].text}\n{T.START_KNOWN_FOOTER}")
    return _in_private(actor, msg, reach, listed)
