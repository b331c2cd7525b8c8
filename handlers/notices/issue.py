"""Issuing: /meeting (会议通知, with time, place and agenda) and /notice (通知), each broadcast as a card to
every park group with its files.

The card is `card.py`; the operation and its rules are `domain/notices/operations.py` and `rules.py`;
the broadcast is `handlers/broadcast.py`, shared with campaigns.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import broadcast, files_to_broadcast
from handlers.notices.card import BODY_LIMIT, TITLE_LIMIT, build_card, parse_when, refusal_text
from storage.enums import NoticeKind
from storage.models import Person

router = Router("notices.issue")


@router.command("meeting", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting"])
async def meeting(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Issue a meeting notice: `/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 [议程…]`."""
    text = clean_text(msg.args, BODY_LIMIT * 2)
    if not text:
        return Reply(text=T.MEETING_USAGE)
    parsed = parse_when(text, settings, now)
    if isinstance(parsed, str):
        return Reply(text=parsed)
    when, rest = parsed
    words = rest.split(maxsplit=2)
    if len(words) < 2:
        return Reply(text=T.MEETING_USAGE)
    place, title = words[0][: TITLE_LIMIT * 2], words[1][:TITLE_LIMIT]
    agenda = words[2] if len(words) > 2 else ""
    if len(agenda) > BODY_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=BODY_LIMIT, length=len(agenda)))
    return await _issue(
        session, actor, msg, settings, now, attachments, NoticeKind.MEETING, title, agenda, place, when
    )


@router.command("notice", perm=Perm.NOTICE_SEND, help_text=T.HELP["notice"])
async def notice(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Issue a notice: `/notice 关于…的通知 正文…` (with files); the first line or sentence is its title."""
    text = clean_text(msg.args, BODY_LIMIT * 2)
    if not text:
        return Reply(text=T.NOTICE_USAGE)
    if len(text) > BODY_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=BODY_LIMIT, length=len(text)))
    parts = re.split(r"[\n。！？!?]", text, maxsplit=1)
    first = parts[0].strip()
    words = first.split(maxsplit=1)
    if len(first) > TITLE_LIMIT and len(words) > 1:
        title, body = words[0][:TITLE_LIMIT], text  # one long sentence: a short title, the whole text as body
    elif len(first) > TITLE_LIMIT:
        title, body = first[:TITLE_LIMIT] + "…", text
    else:
        # Only what parted the title from the body goes: the body keeps its own closing 。
        title, body = first, (parts[1].lstrip(" \n。").rstrip() if len(parts) > 1 else "")
    return await _issue(
        session, actor, msg, settings, now, attachments, NoticeKind.NOTICE, title, body, None, None
    )


async def _issue(
    session: AsyncSession,
    actor: Person,
    msg: Incoming,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    kind: NoticeKind,
    title: str,
    body: str,
    place: str | None,
    when: datetime | None,
) -> HandlerResult:
    """Issue the notice with the files that came with the command, and broadcast its card."""
    files = await files_to_broadcast(session, attachments, settings, now)
    if isinstance(files, Reply):
        return files
    try:
        change = await notice_ops.issue(
            session,
            actor=actor,
            kind=kind,
            title=title,
            body=body,
            place=place,
            starts_at=when,
            photos=files.photos,
            documents=files.documents,
            year=now.astimezone(settings.park.tz).year,
            at=now,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    issued = change.subject
    card = await build_card(session, issued, settings, now)
    total = notice_rules.tally(await notice_queries.receipts(session, issued.id)).total
    done = T.NOTICE_ISSUED.format(kind=T.NOTICE_KIND_NAMES[kind], code=issued.code, total=total)
    return await broadcast(session, card, ("notice", issued.id), msg.chat, settings, done, files.problem)
