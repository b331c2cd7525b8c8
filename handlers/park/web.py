"""/web: a one-time link to the web desk, sent in a private chat only (never in a group, where others
would read it). The link's rules are `domain/desk/rules.py`; the pages it opens are `bot/web/`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply
from bot.routing import Router
from domain.desk import operations as desk_ops
from domain.desk.rules import LINK_TTL, LINKS_PER_HOUR, DeskRefusal
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from storage.models import Person

router = Router("web")


@router.command("web", perm=Perm.WEB_DESK, help_text=T.HELP["web"])
async def web(msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime) -> Reply:
    """Answer with a one-time sign-in link to the web desk, privately."""
    if msg.chat.is_group:
        return Reply(text=T.WEB_PRIVATE_ONLY)
    if msg.args.strip():
        return Reply(text=T.WEB_USAGE)
    if not settings.web.enabled:
        return Reply(text=T.WEB_OFF)
    try:
        secret = await desk_ops.issue_link(session, actor, now)
    except Refused as exc:
        if exc.reason == DeskRefusal.TOO_MANY:
            return Reply(text=T.WEB_TOO_MANY.format(count=LINKS_PER_HOUR))
        return Reply(text=T.WEB_NOT_ALLOWED.format(role=T.role_name(actor.role)))
    url = f"{settings.web.public_url}/login/{secret}"
    return Reply(text=T.WEB_LINK.format(minutes=int(LINK_TTL.total_seconds() // 60), url=url))
