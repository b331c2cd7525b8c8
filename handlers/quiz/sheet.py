"""The per-person sheet of a quiz (知识答题成绩表), written when a quiz closes and sent to the manager who
started it (and whoever ended it) through the outbox, like the ledger export: one row per person who
began it, and a sheet of the figures per enterprise. Every text cell is written as text
(`handlers/xlsx.py`: never a formula)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from bot.routing import LaterWork
from domain.park.queries import get_person
from domain.quiz import queries as quiz_queries
from handlers import texts as T
from handlers.quiz.card import build_card
from handlers.util import fmt_time, recipient
from handlers.xlsx import safe_row, text_cell
from storage.db import Database
from storage.models import Person, Quiz


async def write_sheet(session: AsyncSession, quiz: Quiz, settings: Settings, path: Path) -> int:
    """Write the quiz's workbook: 成绩 (per person) and 企业汇总 (per enterprise); return the people in it."""
    from openpyxl import Workbook  # only when a quiz closes: not on the per-update path
    from openpyxl.styles import Font

    tz = settings.park.tz
    rows = await quiz_queries.sheet(session, quiz)
    figures = await quiz_queries.figures(session, quiz)
    book = Workbook(write_only=True)
    people = book.create_sheet(T.QUIZ_SHEET_PEOPLE)
    people.freeze_panes = "A2"
    bold = Font(bold=True)

    def head(ws: object, names: tuple[str, ...]) -> list[object]:
        cells = []
        for name in names:
            cell = text_cell(ws, name)
            cell.font = bold
            cells.append(cell)
        return cells

    people.append(head(people, T.QUIZ_SHEET_HEADER))
    for r in rows:
        people.append(
            safe_row(
                people,
                [
                    r.enterprise,
                    r.name,
                    fmt_time(r.started_at, tz),
                    fmt_time(r.finished_at, tz) if r.finished_at else "",
                    r.answered,
                    r.correct,
                    r.total,
                    r.score if r.score is not None else "",
                    T.QUIZ_SHEET_DONE if r.finished_at else T.QUIZ_SHEET_NOT_DONE,
                ],
            )
        )
    summary = book.create_sheet(T.QUIZ_SHEET_ENTERPRISES)
    summary.append(head(summary, T.QUIZ_SHEET_ENTERPRISE_HEADER))
    for f in figures:
        summary.append(
            safe_row(summary, [f.name, f.people, f.started, f.finished, f.average if f.average is not None else ""])
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return len(rows)


async def sheet_reply(
    session: AsyncSession, quiz: Quiz, told: list[Person], settings: Settings, now: datetime
) -> Reply:
    """Write the quiz's per-person sheet and return the message that sends it privately to `told`."""
    path = settings.storage.new_report_path("quiz", ".xlsx", now.astimezone(settings.park.tz))
    try:
        count = await write_sheet(session, quiz, settings, path)
    except BaseException:
        path.unlink(missing_ok=True)  # never a partial workbook left behind
        raise
    text = T.QUIZ_SHEET_SENT.format(id=quiz.id, title=quiz.title, count=count)
    name = T.QUIZ_SHEET_FILE.format(id=quiz.id)
    return Reply(text=text, documents=(path,), document_names=(name,), people=tuple(recipient(p) for p in told))


def sheet_work(settings: Settings, quiz_id: int, told_ids: list[int], now: datetime) -> LaterWork:
    """Return the work that writes a quiz's sheet after the update (a read-only session) and sends it."""

    async def work(db: Database) -> list[Reply]:
        async with db.reading(long=True) as session:
            quiz = await quiz_queries.get(session, quiz_id)
            told = [p for p in [await get_person(session, i) for i in told_ids] if p is not None]
            if quiz is None or not told:
                return []
            return [await sheet_reply(session, quiz, told, settings, now)]

    return work


async def closing_replies(session: AsyncSession, quiz: Quiz, settings: Settings, now: datetime) -> list[Reply]:
    """Return what a quiz closed by its time sends (the scheduler): its group card edited to 已结束 with
    the final figures, and the per-person sheet privately to the manager who started it."""
    card = await build_card(session, quiz, settings, now)
    return [Reply(card=card, edit=True), await sheet_reply(session, quiz, [quiz.author], settings, now)]
