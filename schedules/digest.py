"""The weekly digest job: the week before the run, posted to every park group with its chart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.reports.rules import last_week, week_label
from handlers.reports.digest import week_digest
from schedules.context import JobContext


def digest_period(fire: datetime, ctx: JobContext) -> str:
    """Return the week a run at `fire` reports on: the one before the run's week, e.g. 2026-W48."""
    return week_label(last_week(ctx.settings.park.day(fire)))


async def digest_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Build the digest of the week before `fire` for every park group."""
    _, reply = await week_digest(session, ctx.settings, last_week(ctx.settings.park.day(fire)), now)
    return [Reply(text=reply.text, photos=reply.photos, to_groups=True)]
