"""Assembly: build the database, photo store and dispatcher once, and wire every router and job explicitly.

This is the one module that lists the handlers' routers (`routers`) and the periodic jobs (`jobs`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.messages import Reply
from bot.routing import Router
from bot.scheduler import Job
from bot.sender import Sender
from domain.park import operations as park_ops
from handlers.campaigns import launch, matrix, review, submissions
from handlers.emergency import alert as emergency_alert
from handlers.emergency import roster as emergency_roster
from handlers.hazards import corrections, edit, rectify, report, view
from handlers.letters import letters
from handlers.notices import answers, issue, meetings, receipts
from handlers.notices import corrections as notice_corrections
from handlers.notices import kinds as notice_kinds
from handlers.park import enterprises, officers, people
from handlers.quiz import quiz, take
from handlers.reports import commands as reports
from handlers.reports import drills, inspections
from handlers.todo import commands as todo
from schedules.campaigns import campaign_reminders_job
from schedules.context import JobContext
from schedules.digest import digest_job, digest_period
from schedules.emergency import alert_reminders_job
from schedules.hazards import overdue_job, overdue_period, reminder_sweep
from schedules.letters import letter_reminders_job
from schedules.notices import notice_reminders_job
from schedules.quiz import quiz_close_job
from storage.db import Database, pending_revisions, upgrade
from storage.photos import PhotoStore

logger = logging.getLogger(__name__)


async def reminders_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Send the reminders due now: overdue hazards held back by quiet hours, notices, campaigns and letters;
    close the knowledge quizzes whose end time has come."""
    return [
        *await reminder_sweep(ctx, session, now, fire),
        *await notice_reminders_job(ctx, session, now, fire),
        *await campaign_reminders_job(ctx, session, now, fire),
        *await letter_reminders_job(ctx, session, now, fire),
        *await quiz_close_job(ctx, session, now, fire),
    ]


def jobs(settings: Settings) -> list[Job]:
    """Return every periodic job with its time from the `[schedule]` section (the scheduler runs these)."""
    s = settings.schedule
    return [
        Job("digest", s.digest, digest_job, digest_period),
        Job("overdue", s.overdue, overdue_job, overdue_period),
        Job("reminders", s.reminders, reminders_job, None),
        Job("alerts", s.alerts, alert_reminders_job, None),
    ]


class NotMigrated(RuntimeError):
    """The database has migrations pending and the bot was told not to apply them."""


def routers() -> list[Router]:
    """Return every handler module's router, in the order /help lists them."""
    return [
        todo.router,
        people.router,
        enterprises.router,
        officers.router,
        report.router,
        edit.router,
        view.router,
        rectify.router,
        corrections.router,
        issue.router,
        answers.router,
        receipts.router,
        meetings.router,
        notice_corrections.router,
        notice_kinds.router,
        launch.router,
        submissions.router,
        review.router,
        matrix.router,
        letters.router,
        quiz.router,
        take.router,
        reports.router,
        inspections.router,
        drills.router,
        emergency_roster.router,
        emergency_alert.router,
    ]


@dataclass
class App:
    """Everything built once at start and passed down."""

    settings: Settings
    clock: Clock
    db: Database
    photos: PhotoStore
    dispatcher: Dispatcher
    sender: Sender
    inbox: Inbox

    async def prepare(self, *, migrate: bool = True) -> None:
        """Apply pending migrations (or refuse) and record the configured park groups."""
        pending = await pending_revisions(self.db.engine)
        if pending:
            if not migrate:
                raise NotMigrated(
                    f"database has {len(pending)} pending migration(s) {pending}; run `safetybot db upgrade`"
                )
            logger.info("applying migrations %s", pending)
            await upgrade(self.db.engine)
        async with self.db.unit_of_work() as session:
            now = self.clock.now()
            for key in self.settings.park.chats:
                platform, _, chat_id = key.partition(":")
                chat = await park_ops.upsert_chat(
                    session, platform=platform, chat_id=chat_id, title=None, is_group=True, at=now
                )
                chat.is_park_group = True

    async def close(self) -> None:
        """Let handed-off work finish, stop the sender (messages on the wire finish; the rest wait in the
        table) and release the database."""
        await self.dispatcher.settle_later()
        await self.sender.stop()
        await self.db.dispose()


def build_app(settings: Settings, clock: Clock) -> App:
    """Build the app from settings and a clock."""
    db = Database(settings.database.url)
    photos = PhotoStore(settings.storage.photo_dir)
    dispatcher = Dispatcher(settings=settings, clock=clock, db=db, photos=photos, routers=routers())
    sender = Sender(settings=settings, clock=clock, db=db, dispatcher=dispatcher)
    dispatcher.delivery = sender  # the dispatcher writes outbox rows; the sender sends them
    inbox = Inbox(db, clock, dispatcher, sender)
    return App(
        settings=settings,
        clock=clock,
        db=db,
        photos=photos,
        dispatcher=dispatcher,
        sender=sender,
        inbox=inbox,
    )
