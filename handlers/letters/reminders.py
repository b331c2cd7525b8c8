"""Reminders to the enterprises that have not returned the year's signed letter (目标责任状). Not a router:
`schedules/letters.py` sends these on its schedule.

When they are due is `domain/letters/rules.reminder_due`; the once-a-day cap is `storage/reminders.py`
(through `handlers/broadcast.remind_enterprises`, shared with notices and campaigns). Lists of enterprises
are never sent to a group: a lead the bot cannot write to is named once, alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, Reply
from domain.letters import queries as letter_queries
from domain.letters import rules as letter_rules
from domain.park.queries import people_of_enterprise
from handlers import texts as T
from handlers.broadcast import mention, remind_enterprises
from handlers.letters.card import SignButton, card_key_of
from handlers.util import Reach, recipients
from storage import reminders
from storage.enums import Role
from storage.models import Letter, LetterSignature


async def letter_reminders(
    session: AsyncSession, found: Letter, settings: Settings, now: datetime, reach: Reach
) -> tuple[list[Reply], int]:
    """Build reminders for the enterprises that have not signed; return them and how many were reminded.

    Each enterprise at most once a park day, privately to its leads with the 上传签字件 button; a lead the
    bot cannot write to privately is named once in the park groups. Nothing in quiet hours."""
    park = settings.park
    today = park.day(now)
    if park.is_quiet(now) or not letter_rules.reminder_due(park.day(found.created_at), today):
        return [], 0
    subject = f"letter:{found.id}"
    owed = [
        (s.enterprise_id, s)
        for s in await letter_queries.signatures(session, found.id)
        if not letter_rules.is_signed(s)
    ]

    async def remind(signature: LetterSignature) -> list[Reply]:
        return await _remind(session, found, signature, now, reach, subject)

    return await remind_enterprises(session, subject, owed, today, now, remind)


async def _remind(
    session: AsyncSession,
    found: Letter,
    signature: LetterSignature,
    now: datetime,
    reach: Reach,
    subject: str,
) -> list[Reply]:
    """Remind one enterprise's leads privately; name the others once in the groups."""
    leads = list(await people_of_enterprise(session, signature.enterprise_id, [Role.LEAD]))
    text = T.LETTER_REMIND.format(enterprise=signature.enterprise.name, year=found.year, title=found.title)
    button = Button(T.BTN_LETTER_SIGN, SignButton(found.id).pack(), f"/sign {found.year}")
    replies: list[Reply] = []
    reached = recipients(leads, reach)
    if reached:
        replies.append(Reply(text=text, buttons=((button,),), people=reached, about=card_key_of(found)))
    for lead in leads:
        if reach(lead):
            continue
        if await reminders.claim(session, subject, f"mention:{lead.id}", found.created_at.date(), now):
            said = T.LETTER_REMIND_GROUP.format(name=mention(lead), year=found.year)  # never the enterprise
            replies.append(Reply(text=said, to_groups=True, about=card_key_of(found)))
    return replies
