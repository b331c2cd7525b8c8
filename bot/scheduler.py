"""The periodic jobs and the APScheduler that fires them, restart-safe by claiming (job, period) rows.

Every run goes the same way, whoever starts it (the cron trigger, the catch-up at start, a test with a
manual clock): read `now` from the injected clock once, find the job's latest scheduled time at or
before it, derive the period from that time, and in one unit of work claim (job, period), build the
replies and write them to the outbox; send after the commit. A second run for the same period (a
restart, a manual re-run, another bot process on the same PostgreSQL database) finds the claim and
does nothing. APScheduler only says *when*; it never decides *whether*.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from schedules.context import JobContext
from storage import jobs
from storage.db import Database, is_unavailable

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

Body = Callable[[JobContext, AsyncSession, datetime, datetime], Awaitable[list[Reply]]]
LOOKBACK = timedelta(days=8)  # the latest scheduled time is searched this far back (jobs run at least weekly)
FIRST_WINDOW = timedelta(minutes=2)  # the first look back; doubled until a scheduled time is in it


@dataclass(frozen=True)
class Job:
    """A periodic job: its cron line, how a scheduled time names its period, and what it does.

    `period` None: a sweep that claims nothing itself (what it sends is capped per reminder) and is
    never caught up.
    """

    name: str
    cron: str
    body: Body
    period: Callable[[datetime, JobContext], str] | None


class Scheduler:
    """Runs the jobs: `run` for one (now), `catch_up` at start, `start`/`stop` the APScheduler."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        db: Database,
        dispatcher: Dispatcher,
        jobs: list[Job],
    ) -> None:
        self.ctx = JobContext(settings, clock, db, dispatcher)
        self.jobs = {j.name: j for j in jobs}
        self._aps: AsyncIOScheduler | None = None

    def trigger(self, name: str) -> CronTrigger:
        """Return the cron trigger of a job, in the park's time zone."""
        return CronTrigger.from_crontab(self.jobs[name].cron, timezone=self.ctx.settings.park.tz)

    def latest_fire(self, name: str, now: datetime) -> datetime | None:
        """Return the job's latest scheduled time at or before `now` (within `LOOKBACK`)."""
        trigger = self.trigger(name)
        # Look back over a window that doubles until it holds a scheduled time (at most `LOOKBACK`), then
        # walk forward through that window only: the same answer as walking all of `LOOKBACK`, without
        # stepping through eight days of an every-minute cron line at each start and each run.
        window = FIRST_WINDOW
        while True:
            window = min(window, LOOKBACK)
            t = trigger.get_next_fire_time(None, now - window)
            if (t is not None and t <= now) or window == LOOKBACK:
                break
            window *= 2
        latest = None
        while t is not None and t <= now:
            latest = t
            t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
        return latest

    async def run(self, name: str, now: datetime | None = None) -> bool:
        """Run a job for its latest scheduled time; return True if this call ran it (claimed its period).

        A run whose period was claimed already does nothing; the replies are sent after the commit.
        """
        job = self.jobs[name]
        now = now or self.ctx.clock.now()
        fire = self.latest_fire(name, now)
        if fire is None:
            return False
        async with self.ctx.db.unit_of_work() as session:
            if job.period is not None:
                period = job.period(fire, self.ctx)
                if not await jobs.claim(session, name, period, now):
                    logger.info("job %s for %s already ran; nothing to do", name, period)
                    return False
                logger.info("job %s runs for %s", name, period)
            replies = await job.body(self.ctx, session, now, fire)
            items = await self.ctx.dispatcher.enqueue(session, replies)
        self.ctx.dispatcher.queued(items)
        return True

    async def catch_up(self, now: datetime | None = None) -> list[str]:
        """Make, once, the runs missed while the bot was down within `catch_up_hours`; return those made."""
        now = now or self.ctx.clock.now()
        window = timedelta(hours=self.ctx.settings.schedule.catch_up_hours)
        made = []
        for name, job in self.jobs.items():
            if job.period is None:  # a sweep is never caught up
                continue
            fire = self.latest_fire(name, now)
            if fire is None or now - fire > window:
                continue
            if await self._safe_run(name, now):
                made.append(name)
        return made

    async def _safe_run(self, name: str, now: datetime | None = None) -> bool:
        """Run a job, logging instead of raising: a failed run is retried at its next time or start."""
        try:
            return await self.run(name, now)
        except Exception as exc:
            if is_unavailable(exc):
                logger.warning("job %s skipped: database unavailable (%s)", name, type(exc).__name__)
            else:
                logger.exception("job %s failed", name)
            return False

    async def start(self) -> None:
        """Catch up missed runs, then let APScheduler fire each job at its cron times."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        await self.catch_up()
        aps = AsyncIOScheduler(timezone=self.ctx.settings.park.tz)
        for name in self.jobs:
            aps.add_job(
                self._safe_run,
                self.trigger(name),
                args=[name],
                id=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
        aps.start()
        self._aps = aps
        logger.info("schedules started: %s", ", ".join(f"{j.name} ({j.cron})" for j in self.jobs.values()))

    async def stop(self) -> None:
        """Stop firing jobs (a run in progress finishes or rolls back on its own)."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
