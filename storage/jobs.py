"""Claims of periodic job runs: a (job, period) row under a unique constraint makes each run happen once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import JobRun


async def claim(session: AsyncSession, job: str, period: str, at: datetime) -> bool:
    """Claim the run of `job` for `period` in this transaction; False when it was claimed already.

    On PostgreSQL a second process claiming the same period waits for the first one's transaction and
    then finds the row: the constraint decides, never a comparison with the last run seen.
    """
    statement = (
        dialect_insert(session)(JobRun)
        .values(job=job, period=period, at=at)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(JobRun.id)
    )
    return (await session.scalar(statement)) is not None


async def runs(session: AsyncSession, job: str) -> list[tuple[str, datetime]]:
    """Return the periods a job ran for and when, oldest first."""
    rows = await session.execute(
        select(JobRun.period, JobRun.at).where(JobRun.job == job).order_by(JobRun.id)
    )
    return list(rows.all())
