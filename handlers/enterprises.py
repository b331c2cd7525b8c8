"""Enterprises and park groups: /enterprises, /enterprise_add, /setgroup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply
from bot.routing import Router
from handlers import texts as T
from handlers.permissions import Perm
from storage import queries as q
from storage.models import Person

router = Router("enterprises")

NAME_LIMIT = 100


@router.command("enterprises", perm=Perm.VIEW, help_text=T.HELP["enterprises"])
async def list_enterprises(msg: Incoming, *, session: AsyncSession, settings: Settings) -> Reply:
    """List the park's active enterprises."""
    enterprises = await q.list_enterprises(session)
    if not enterprises:
        return Reply(text=T.ENTERPRISES_EMPTY)
    lines = [T.ENTERPRISES_HEADER.format(park=settings.park.name, count=len(enterprises))]
    for n, e in enumerate(enterprises, 1):
        aliases = f"（{'、'.join(e.aliases)}）" if e.aliases else ""
        industry = f" · {e.industry}" if e.industry else ""
        lines.append(T.ENTERPRISE_LINE.format(n=n, name=e.name, aliases=aliases, industry=industry))
    return Reply(text="\n".join(lines))


@router.command("enterprise_add", perm=Perm.ENTERPRISE_ADD, help_text=T.HELP["enterprise_add"])
async def add_enterprise(msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime) -> Reply:
    """Add an enterprise with optional aliases."""
    words = [q.clean_text(w, NAME_LIMIT + 1) for w in msg.args.split()]
    words = [w for w in words if w]
    if not words:
        return Reply(text=T.ENTERPRISE_ADD_USAGE)
    if any(len(w) > NAME_LIMIT for w in words):
        return Reply(text=T.NAME_TOO_LONG.format(limit=NAME_LIMIT))
    name, aliases = words[0], list(dict.fromkeys(words[1:]))
    enterprise = await q.add_enterprise(
        session, name=name, aliases=aliases, industry=None, actor=actor, at=now
    )
    if enterprise is None:
        return Reply(text=T.ENTERPRISE_EXISTS.format(name=name))
    count = len(await q.list_enterprises(session))
    shown = f"（别名：{'、'.join(aliases)}）" if aliases else ""
    return Reply(text=T.ENTERPRISE_ADDED.format(name=name, aliases=shown, count=count))


@router.command("setgroup", perm=Perm.GROUP_SET, help_text=T.HELP["setgroup"])
async def set_group(msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime) -> Reply:
    """Make the group this is sent in a park group that gets broadcasts and cards."""
    if not msg.chat.is_group:
        return Reply(text=T.SETGROUP_NOT_GROUP)
    chat = await q.upsert_chat(
        session,
        platform=msg.chat.platform,
        chat_id=msg.chat.chat_id,
        title=msg.chat.title,
        is_group=True,
        at=now,
    )
    if chat.is_park_group:
        return Reply(text=T.SETGROUP_ALREADY)
    chat.is_park_group = True
    await q.audit(session, now, actor, "chat.setgroup", "chat", chat.id, title=chat.title)
    return Reply(text=T.SETGROUP_DONE.format(title=chat.title or chat.chat_id))
