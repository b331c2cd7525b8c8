"""The weekly digest job: the week before the run, posted to every park group with its chart, and the
ledger's chain head (台账校验码) recorded as posted (`domain/hazards/chain.post_anchor`), so the groups'
history anchors the ledger outside the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.hazards import chain
from domain.reports.rules import last_week, week_label
from handlers import texts as T
from handlers.reports.digest import week_digest
from schedules.context import JobContext


def digest_period(fire: datetime, ctx: JobContext) -> str:
    """Return the week a run at `fire` reports on: the one before the run's week, e.g. 2026-W48."""
    return week_label(last_week(ctx.settings.park.day(fire)))


async def digest_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Build the digest of the week before `fire` for every park group."""
    _, reply = await week_digest(session, ctx.settings, last_week(ctx.settings.park.day(fire)), now)
    text = reply.text or ""
    anchor = await chain.post_anchor(session, now)
    if anchor is not None:
        text += "\n\n" + T.DIGEST_LEDGER_HEAD.format(short=anchor.hash[: chain.SHORT], events=anchor.events)
    return [Reply(text=text, photos=reply.photos, to_groups=True)]
