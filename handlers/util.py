"""Small helpers several handler modules share."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Button, ButtonPress, ChatRef, Reply
from handlers import texts as T
from storage import queries as q
from storage.models import Enterprise, Person

logger = logging.getLogger(__name__)


async def refuse(session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, text: str) -> Reply:
    """Refuse a button press the person may not make (forged or stale): log it, change nothing."""
    logger.warning("refused button %r from %s:%s", press.data[:64], actor.platform, actor.external_id)
    await q.audit(session, now, actor, "button.refused", "button", None, data=press.data[:64])
    return Reply(text=text, toast=True)


def private_chat(person: Person) -> ChatRef | None:
    """Return the person's private chat with the bot, if they ever opened one."""
    if not person.private_chat_id:
        return None
    return ChatRef(person.platform, person.private_chat_id, is_group=False)


async def pick_enterprise(
    session: AsyncSession, text: str, *, button_prefix: str | None
) -> Enterprise | Reply:
    """Resolve an enterprise name, or answer with the closest names (as buttons when a prefix is given)."""
    shown = q.clean_text(text, 40)
    matches = await q.match_enterprises(session, text)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return Reply(text=T.ENTERPRISE_NOT_FOUND.format(text=shown))
    if button_prefix is None:
        names = "、".join(e.name for e in matches)
        return Reply(text=T.ENTERPRISE_PICK.format(text=shown) + names)
    buttons = tuple((Button(e.name, f"{button_prefix}:{e.id}"),) for e in matches)
    return Reply(text=T.ENTERPRISE_PICK.format(text=shown), buttons=buttons)
