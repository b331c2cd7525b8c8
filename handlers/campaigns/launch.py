"""Launching a campaign (专项行动): `/campaign 名称 截止日期 要求…` broadcasts its card with a task for every
enterprise; `/campaign ZX-…` shows one.

The card is `card.py`; the operation and its rules are `domain/campaigns/operations.launch` and
`rules.py`; the broadcast is `handlers/broadcast.py`, shared with notices.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Incoming, Reply, clean_text
from bot.questions import Question, drop
from bot.routing import HandlerResult, Router
from domain.campaigns import operations as campaign_ops
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import may_launch
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import broadcast, files_to_broadcast, keep_held, with_held
from handlers.campaigns.card import (
    CODE_WORD,
    TEXT_LIMIT,
    TITLE_LIMIT,
    build_card,
    find_campaign,
    refusal_text,
)
from handlers.dates import DueDateError, parse_due
from handlers.util import fmt_date
from storage.models import Person

router = Router("campaigns.launch")


@router.command("campaign", perm=Perm.VIEW, help_text=T.HELP["campaign"])
async def campaign(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: Question | None,
) -> HandlerResult:
    """Launch a campaign (`/campaign 名称 截止日期 要求…`, managers), or show one (`/campaign ZX-…`).

    Files a manager sent just before (held for the next notice or campaign) go with the campaign launched.
    """
    await keep_held(session, msg.chat, actor, question, now)  # a look or a usage error keeps them waiting
    text = clean_text(msg.args, TEXT_LIMIT * 2)
    words = text.split(maxsplit=2)
    if len(words) == 1 and CODE_WORD.match(words[0]):
        found = await find_campaign(session, words[0])
        if isinstance(found, str):
            return Reply(text=found)
        return Reply(card=await build_card(session, found, settings, now))
    if not may_launch(actor):
        return Reply(text=T.CAMPAIGN_ONLY_MANAGERS)
    if len(words) < 2:
        return Reply(text=T.CAMPAIGN_USAGE)
    title, due_text = words[0][:TITLE_LIMIT], words[1]
    requirements = words[2] if len(words) > 2 else ""
    if len(requirements) > TEXT_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=TEXT_LIMIT, length=len(requirements)))
    try:
        due = parse_due(due_text, settings.park.day(now))
    except DueDateError as exc:
        if exc.reason == "past":
            return Reply(text=T.CAMPAIGN_PAST_DUE.format(text=due_text[:20]))
        return Reply(text=T.CAMPAIGN_BAD_DUE.format(text=due_text[:20]))
    stored = await files_to_broadcast(session, attachments, settings, now)
    if isinstance(stored, Reply):
        return stored
    files, held = await with_held(session, stored, question)
    try:
        change = await campaign_ops.launch(
            session,
            actor=actor,
            title=title,
            requirements=requirements,
            due_date=due,
            photos=files.photos,
            documents=files.documents,
            year=now.astimezone(settings.park.tz).year,
            at=now,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    launched = change.subject
    card = await build_card(session, launched, settings, now)
    total = (await campaign_queries.progress(session, launched, settings.park.day(now))).total
    done = T.CAMPAIGN_LAUNCHED.format(code=launched.code, total=total, due=fmt_date(due))
    if held:
        await drop(session, msg.chat, actor)
        done += "\n" + held
    return await broadcast(session, card, ("campaign", launched.id), msg.chat, settings, done, files.problem)
