"""Reports for managers: /week, /summary, /export, and recording /inspection for the summary (drills and
trainings: `drills.py`)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Recipient, Reply, clean_text
from bot.routing import Later, LaterWork, Router
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from domain.park.rules import Perm
from domain.reports.rules import last_week, week_label, week_start
from domain.reports.year import year_summary
from handlers import texts as T
from handlers.reports.digest import week_digest
from handlers.reports.ledger_xlsx import period_name, write_ledger
from handlers.reports.summary import summary_text
from handlers.reports.summary_docx import write_summary_docx
from handlers.util import Reach, disk_full_to_admins, is_disk_full, recipient
from storage import audit
from storage.db import Database
from storage.models import Enterprise, Person

logger = logging.getLogger(__name__)

router = Router("reports")

WEEK_RE = re.compile(r"(\d{4})\s*-?\s*[Ww](\d{1,2})")
FULL_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
SHORT_DATE_RE = re.compile(r"(\d{1,2})[-/.月](\d{1,2})日?")
YEAR_RE = re.compile(r"(\d{4})年?")


def parse_day(text: str, today: date) -> date | None:
    """Read a past or present park day: 2026-11-28, 2026年11月28日, 11月28日, 11-28, 今天, 昨天, 前天.

    A day without its year is the latest such day not after today.
    """
    text = text.strip()
    if text in T.DATE_WORDS:
        return today - timedelta(days=T.DATE_WORDS[text])
    try:
        if m := FULL_DATE_RE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := SHORT_DATE_RE.fullmatch(text):
            day = date(today.year, int(m[1]), int(m[2]))
            return day if day <= today else date(today.year - 1, day.month, day.day)
    except ValueError:
        return None
    return None


def parse_period(args: str, today: date) -> tuple[date, date, int | None] | str:
    """Read `<year>` or `<from> <to>` (inclusive); empty means this year. Return the days and the year, or the bad word."""
    words = args.split()
    if not words:
        return date(today.year, 1, 1), date(today.year, 12, 31), today.year
    if len(words) == 1 and (m := YEAR_RE.fullmatch(words[0])) and 2000 <= int(m[1]) <= 2100:
        year = int(m[1])
        return date(year, 1, 1), date(year, 12, 31), year
    if len(words) == 2:
        start, end = parse_day(words[0], today), parse_day(words[1], today)
        if start is None:
            return words[0]
        if end is None:
            return words[1]
        return start, end, None
    return args


def _positive(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 1_000_000 else None


COUNT_RE = re.compile(r"(\d+)\s*(?:人次|人|名)?(?:参加|参训)?")
COUNT_UNITS = ("人次", "人", "名", "人参加")


def _count(words: list[str]) -> tuple[int, int] | None:
    """Read a count at the start of `words` as people write it: 6, 6人次, 120人, 120 人; return it and
    how many words it took (None: the first word is not a count)."""
    if not words or not (m := COUNT_RE.fullmatch(words[0])) or (n := _positive(m[1])) is None:
        return None
    used = 2 if len(words) > 1 and words[0].isdigit() and words[1] in COUNT_UNITS else 1
    return n, used


def _count_at_end(words: list[str]) -> tuple[int | None, list[str]] | str:
    """Read a count that ends `words` (120, 120人, 120 人); return it and the words before it, or the
    word that should have been a count."""
    if len(words) > 1 and words[-1] in COUNT_UNITS:
        words = words[:-1]
    if len(words) < 2:
        return None, words
    m = COUNT_RE.fullmatch(words[-1])
    number = _positive(m[1]) if m else None
    return (number, words[:-1]) if number is not None else words[-1]


# --- /week -------------------------------------------------------------------------------------


@router.command("week", perm=Perm.REPORTS, help_text=T.REPORT_HELP["week"], read_only=True)
async def week(msg: Incoming, *, settings: Settings, now: datetime, later: Later) -> Reply | None:
    """Give the weekly digest of last week (default), this week or an ISO week, with its chart.

    The figures and the chart are made after this update (`Later`, a read-only session): drawing never
    holds the chat, and a chart that cannot be saved leaves the figures to go out without it."""
    today = settings.park.day(now)
    arg = clean_text(msg.args, 40)
    if not arg or arg in T.WEEK_WORDS_LAST:
        monday = last_week(today)
    elif arg in T.WEEK_WORDS_THIS:
        monday = week_start(today)
    elif m := WEEK_RE.fullmatch(arg):
        try:
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            return Reply(text=T.WEEK_BAD.format(text=arg))
    else:
        return Reply(text=T.WEEK_BAD.format(text=arg))
    if monday > today:
        return Reply(text=T.WEEK_FUTURE.format(label=week_label(monday)))

    async def work(db: Database) -> list[Reply]:
        async with db.reading(long=True) as session:
            _, reply = await week_digest(session, settings, monday, now)
        return [reply]

    later("week", work)
    return None


# --- /summary -----------------------------------------------------------------------------------


@router.command("summary", perm=Perm.REPORTS, help_text=T.REPORT_HELP["summary"], read_only=True)
async def summary(
    msg: Incoming,
    *,
    session: AsyncSession,
    settings: Settings,
    actor: Person,
    now: datetime,
    reach: Reach,
    later: Later,
) -> Reply:
    """Give the year-end summary of a year or a period: its sections with their months and the data table;
    with `word` last, the Word document (made after this update, privately when asked in a group)."""
    today = settings.park.day(now)
    words = clean_text(msg.args, 60).split()
    as_word = bool(words) and words[-1].lower() in T.SUMMARY_WORD_WORDS
    if as_word:
        words = words[:-1]
    elif any(w.lower() in T.SUMMARY_WORD_WORDS for w in words):
        return Reply(text=T.SUMMARY_WORD_BAD)
    if not words:
        return Reply(text=T.SUMMARY_USAGE)
    period = parse_period(" ".join(words), today)
    if isinstance(period, str):
        return Reply(text=T.SUMMARY_BAD_DATE.format(text=period[:30]))
    start, end, year = period
    if start > end:
        return Reply(text=T.SUMMARY_BAD_ORDER.format(start=start.isoformat(), end=end.isoformat()))
    if not as_word:
        figures = await year_summary(session, start, end, settings.park.tz, now)
        return Reply(text=summary_text(figures, settings.park.name, year))
    await audit.audit(session, now, actor, "summary.document", "summary", None, start=start.isoformat(), end=end.isoformat())
    privately = msg.chat.is_group and reach(actor)
    to = (recipient(actor),) if privately else ()
    later("summary", _summary_work(settings, start, end, year, now, to))
    working = T.SUMMARY_WORD_WORKING_PRIVATELY if privately else T.SUMMARY_WORD_WORKING
    return Reply(text=working.format(period=period_name(start, end)))


def _summary_work(
    settings: Settings, start: date, end: date, year: int | None, now: datetime, to: tuple[Recipient, ...]
) -> LaterWork:
    """Return the work that reads the summary's figures (a read-only session), draws the weekly trend and
    writes the Word document outside the update, then sends it; or says truthfully that the disk is full.
    The chart is only a picture inside the document: its file is removed once the document is written."""

    async def work(db: Database) -> list[Reply]:
        park = settings.park
        period_text = period_name(start, end)
        at = now.astimezone(park.tz)
        path = settings.storage.new_report_path("summary", ".docx", at)
        chart = settings.storage.new_report_path("summary-trend", ".png", at)
        try:
            async with db.reading(long=True) as session:
                figures = await year_summary(session, start, end, park.tz, now)
            drawn = await _draw_trend(figures.trend, T.CHART_TITLE_YEAR_TREND.format(period=period_text), chart)
            await asyncio.to_thread(
                write_summary_docx, figures, park=park.name, year=year, path=path, chart=drawn, now=now, tz=park.tz
            )
        except BaseException as exc:
            path.unlink(missing_ok=True)  # never a partial document left behind
            if not is_disk_full(exc):
                raise
            admins = await disk_full_to_admins(db, T.DISK_FULL_SUMMARY, settings.storage.reports_dir, now)
            return [Reply(text=T.DISK_FULL, people=to), *admins]
        finally:
            chart.unlink(missing_ok=True)
        name = T.SUMMARY_WORD_FILE_NAME.format(period=period_text)
        text = T.SUMMARY_WORD_DONE.format(period=period_text)
        return [Reply(text=text, documents=(path,), document_names=(name,), people=to)]

    return work


async def _draw_trend(trend: list[tuple[date, int, int]], title: str, path: Path) -> Path | None:
    """Draw the weekly trend in a worker thread; None when there is nothing to draw or the drawing failed
    (the document then says so). A full disk is not swallowed: the caller reports it."""
    if not any(found or closed for _, found, closed in trend):
        return None
    try:
        from handlers.reports.charts import trend_chart

        await asyncio.to_thread(trend_chart, trend, title, path)
    except Exception as exc:  # a half-drawn file is removed by the caller, with the chart it would have been
        if is_disk_full(exc):
            raise
        logger.exception("summary trend chart not drawn")
        return None
    return path


# --- /inspection (and what /drill and /training share) -------------------------------------------------------------------


async def exact_enterprise(session: AsyncSession, word: str) -> Enterprise | None:
    found = await park_queries.match_enterprises(session, word)
    return next((e for e in found if park_rules.is_exact(e, word) and e.active), None)


def record_args(args: str, today: date, usage: str, bad_date: str) -> tuple[date, list[str]] | Reply:
    """Read `<day> <at least two words>` of /inspection and /drill; a reply when the day is missing,
    unreadable or still to come."""
    words = clean_text(args, 300).split()
    if len(words) < 3:
        return Reply(text=usage)
    day = parse_day(words[0], today)
    if day is None:
        return Reply(text=bad_date.format(text=words[0][:20]))
    if day > today:
        return Reply(text=T.DATE_FUTURE.format(day=day.isoformat()))
    return day, words[1:]


# --- /export ------------------------------------------------------------------------------------


@router.command("export", perm=Perm.REPORTS, help_text=T.REPORT_HELP["export"], read_only=True)
async def export_ledger(
    msg: Incoming,
    *,
    session: AsyncSession,
    settings: Settings,
    actor: Person,
    now: datetime,
    reach: Reach,
    later: Later,
) -> list[Reply]:
    """Send the ledger workbook of a year (default: this one) or a period; privately when asked in a group.

    The workbook is made after this update, outside its transaction and its chat (`Later`): a large
    export never holds the chat or the database's write lock; the person hears at once that it comes."""
    today = settings.park.day(now)
    args = clean_text(msg.args, 60)
    period = parse_period(args, today)
    if isinstance(period, str):
        return [Reply(text=T.EXPORT_BAD.format(text=period[:30]))]
    start, end, _ = period
    if start > end:
        return [Reply(text=T.SUMMARY_BAD_ORDER.format(start=start.isoformat(), end=end.isoformat()))]
    period_text = period_name(start, end)
    await audit.audit(session, now, actor, "ledger.export", "ledger", None, start=start.isoformat(), end=end.isoformat())
    privately = msg.chat.is_group and reach(actor)
    to = (recipient(actor),) if privately else ()
    later("export", _export_work(settings, start, end, now, to))
    if privately:
        return [Reply(text=T.EXPORT_WORKING_PRIVATELY.format(period=period_text))]
    return [Reply(text=T.EXPORT_WORKING.format(period=period_text))]


def _export_work(settings: Settings, start: date, end: date, now: datetime, to: tuple[Recipient, ...]) -> LaterWork:
    """Return the work that writes the ledger workbook outside the update (a read-only session: no write
    lock), sends it, or says truthfully that the disk is full; a file not written whole is removed."""

    async def work(db: Database) -> list[Reply]:
        period_text = period_name(start, end)
        path = settings.storage.new_report_path("ledger", ".xlsx", now.astimezone(settings.park.tz))
        try:
            async with db.reading(long=True) as session:
                done = await write_ledger(session, settings, path, start, end, now)
        except BaseException as exc:
            path.unlink(missing_ok=True)  # never a partial workbook left behind
            if not is_disk_full(exc):
                raise
            admins = await disk_full_to_admins(db, T.DISK_FULL_EXPORT, settings.storage.reports_dir, now)
            return [Reply(text=T.DISK_FULL, people=to), *admins]
        head = f"#{done.head.event_id} {done.head.hash[:16]}…" if done.head.hash else T.XLSX_NO_CHAIN
        text = T.EXPORT_DONE.format(period=period_text, count=done.hazards, head=head)
        name = T.EXPORT_FILE_NAME.format(period=period_text)
        return [Reply(text=text, documents=(path,), document_names=(name,), people=to)]

    return work
