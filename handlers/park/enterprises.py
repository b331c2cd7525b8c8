"""Enterprises and park groups: /enterprises, /enterprise_add, /setgroup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply, clean_text
from bot.routing import Router
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from domain.park.rules import Perm
from handlers import texts as T
from storage import audit
from storage.models import Person

router = Router("enterprises")

NAME_LIMIT = 100


@router.command("enterprises", perm=Perm.VIEW, help_text=T.HELP["enterprises"], read_only=True)
async def list_all(msg: Incoming, *, session: AsyncSession, settings: Settings) -> Reply:
    """List the park's active enterprises."""
    found = await park_queries.list_enterprises(session)
    if not found:
        return Reply(text=T.ENTERPRISES_EMPTY)
    lines = [T.ENTERPRISES_HEADER.format(park=settings.park.name, count=len(found))]
    for n, e in enumerate(found, 1):
        aliases = f"（{'、'.join(e.aliases)}）" if e.aliases else ""
        industry = f" · {e.industry}" if e.industry else ""
        lines.append(T.ENTERPRISE_LINE.format(n=n, name=e.name, aliases=aliases, industry=industry))
    return Reply(text="\n".join(lines))


@router.command("enterprise_add", perm=Perm.ENTERPRISE_ADD, help_text=T.HELP["enterprise_add"])
async def add_enterprise(msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime) -> Reply:
    """Add an enterprise with optional aliases."""
    words = [clean_text(w, NAME_LIMIT + 1) for w in msg.args.split()]
    words = [w for w in words if w]
    if not words:
        return Reply(text=T.ENTERPRISE_ADD_USAGE)
    if any(len(w) > NAME_LIMIT for w in words):
        return Reply(text=T.NAME_TOO_LONG.format(limit=NAME_LIMIT))
    name, aliases = words[0], list(dict.fromkeys(words[1:]))
    enterprise = await park_ops.add_enterprise(
        session, name=name, aliases=aliases, industry=None, actor=actor, at=now
    )
    if enterprise is None:
        return Reply(text=T.ENTERPRISE_EXISTS.format(name=name))
    count = len(await park_queries.list_enterprises(session))
    shown = f"（别名：{'、'.join(aliases)}）" if aliases else ""
    return Reply(text=T.ENTERPRISE_ADDED.format(name=name, aliases=shown, count=count))


@router.command("setgroup", perm=Perm.GROUP_SET, help_text=T.HELP["setgroup"])
async def set_group(msg: Incoming, *, session: AsyncSession, actor: Person, now: datetime) -> Reply:
    """Make the group this is sent in a park group that gets broadcasts and cards."""
    if not msg.chat.is_group:
        return Reply(text=T.SETGROUP_NOT_GROUP)
    chat = await park_ops.upsert_chat(
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
    await audit.audit(session, now, actor, "chat.setgroup", "chat", chat.id, title=chat.title)
    return Reply(text=T.SETGROUP_DONE.format(title=chat.title or chat.chat_id))
