"""Accepting or rejecting a fix from the web desk, with exactly the chat effects of the 验收通过 / 驳回
buttons: the same domain operation (`domain/hazards/operations.accept` / `reject`) rendered by the same
functions as the buttons and commands (`handlers/hazards/rectify.py`), so every copy of the card is edited
and the enterprise (and the finder) are told the same words.

The desk (`bot/web/`) may not import handlers; `bot/app.py` hands it this function. What the chat would
have said to the manager in their own chat (the confirmation, or why it was refused) is returned as text
for the page to show; the rest are the outgoing replies, each naming where it goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from domain.hazards.rules import Action
from handlers.hazards.card import refusal_text
from handlers.hazards.rectify import NOTE_LIMIT, accept_fix, reject_fix, verifiable
from handlers.util import Reach, split_for_desk
from storage.models import Hazard, Person


@dataclass
class DeskVerdict:
    """What a verification from the desk did: whether it changed the hazard, what to show, what to send."""

    done: bool
    said: str
    outgoing: list[Reply] = field(default_factory=list)


async def verify_on_desk(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    accept: bool,
    reason: str,
    *,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> DeskVerdict:
    """Accept or reject the hazard's fix for the actor, as the card's buttons would."""
    action = Action.ACCEPT if accept else Action.REJECT
    refused = await verifiable(session, actor, hazard, action, settings)
    if refused is not None:
        return DeskVerdict(False, refusal_text(refused, actor))
    status = hazard.status
    reason = " ".join(reason.split())[:NOTE_LIMIT]
    if accept:
        replies = await accept_fix(session, actor, hazard, settings, now, reach, toast=False)
    else:
        replies = await reject_fix(session, actor, hazard, reason, False, settings, now, reach)
    said, outgoing = split_for_desk(replies)
    return DeskVerdict(hazard.status != status, said, outgoing)
