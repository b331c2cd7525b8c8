"""The knowledge quiz's closing job (知识答题): a quiz whose end time has come is closed, its group card
says 已结束 with the final figures, and the manager who started it gets the per-person sheet.

The `reminders` job (listed in `bot/app.py`, run by `bot/scheduler.py` every few minutes) runs
`quiz_close_job` with the injected clock's time; when a quiz closes is `domain/quiz/rules.due_to_close`.
Closing is the operation `domain/quiz/operations.close` (a quiz ended already is left alone), worded by
`handlers/quiz/sheet.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.outcome import Refused
from domain.quiz import operations as quiz_ops
from domain.quiz import queries as quiz_queries
from domain.quiz.rules import due_to_close
from handlers.quiz.sheet import closing_replies
from schedules.context import JobContext

logger = logging.getLogger(__name__)


async def quiz_close_job(ctx: JobContext, session: AsyncSession, now: datetime, fire: datetime) -> list[Reply]:
    """Close the quizzes whose end time has come; return their card edits and sheets."""
    replies: list[Reply] = []
    for quiz in await quiz_queries.to_close(session, now):
        if not due_to_close(quiz, now):
            continue
        try:
            await quiz_ops.close(session, quiz, None, now)
        except Refused:  # ended by a manager meanwhile
            continue
        replies += await closing_replies(session, quiz, ctx.settings, now)
        logger.info("closed quiz %d at its end time", quiz.id)
    return replies
