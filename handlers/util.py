"""Small helpers several handler modules share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.messages import Button, ButtonPress, Recipient, Reply, clean_text
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from handlers import texts as T
from storage import audit
from storage.models import Enterprise, Person

logger = logging.getLogger(__name__)

Reach = Callable[[Person], bool]  # can the bot write to this person privately? (`Dispatcher.reach`)


async def refuse(session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, text: str) -> Reply:
    """Refuse a button press the person may not make (forged or stale): log it, change nothing."""
    logger.warning("refused button %r from %s:%s", press.data[:64], actor.platform, actor.external_id)
    await audit.audit(session, now, actor, "button.refused", "button", None, data=press.data[:64])
    return Reply(text=text, toast=True)


def recipient(person: Person) -> Recipient:
    """Return the address of a person for a private message."""
    return Recipient(person.platform, person.external_id, person.private_chat_id)


def recipients(people: Iterable[Person], reach: Reach) -> tuple[Recipient, ...]:
    """Return the addresses of the people the bot can write to privately."""
    return tuple(recipient(p) for p in people if reach(p))


async def pick_enterprise(
    session: AsyncSession, text: str, *, button: Callable[[int], CallbackData] | None
) -> Enterprise | Reply:
    """Resolve an enterprise by its exact name or alias; otherwise offer the closest names to confirm.

    A near match never acts by itself (`华润` must not file under 华油): the person picks it from buttons
    when `button` makes them, or writes the full name or an alias.
    """
    shown = clean_text(text, 40)
    matches = await park_queries.match_enterprises(session, clean_text(text, 100))
    if len(matches) == 1 and park_rules.is_exact(matches[0], clean_text(text, 100)):
        return matches[0]
    if not matches:
        return Reply(text=T.ENTERPRISE_NOT_FOUND.format(text=shown))
    if button is None:
        names = "、".join(e.name + (f"（{e.aliases[0]}）" if e.aliases else "") for e in matches)
        return Reply(text=T.ENTERPRISE_WRITE_EXACT.format(text=shown, names=names))
    buttons = tuple((Button(e.name, button(e.id).pack()),) for e in matches)
    return Reply(text=T.ENTERPRISE_PICK.format(text=shown), buttons=buttons)
