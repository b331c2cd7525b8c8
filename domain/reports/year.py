"""The year-end summary drafted (年度总结): the period's figures (`queries.summary_figures`), each section's
figures month by month, the weekly trend over the period and one line per enterprise.

Every figure is counted by the record's own date, never by when it was typed in: a hazard by when it was
found, a meeting by when it was held, a notice by when it was issued, a letter by when it was signed, an
inspection, drill or training by its day. Records entered later with their real date (补录) count where
they belong. Each month's figure is one `SUM(CASE …)` column of a grouped query (a query per subject,
never one per month or per row), so the months add up to the period's totals by construction.

Rendered by `handlers/reports/summary.py` (chat), `summary_docx.py` (Word) and `summary_sheet.py` (Excel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.park.queries import officers_of
from domain.reports.queries import SummaryFigures, summary_figures, trend
from domain.reports.rules import moment, month_edges, trend_weeks
from storage.enums import HazardStatus, Mode, NoticeKind, NoticeStatus, ReceiptStatus
from storage.models import (
    Campaign,
    CampaignTask,
    Drill,
    Enterprise,
    Hazard,
    Inspection,
    LetterSignature,
    Notice,
    NoticeReceipt,
    Training,
)

S = HazardStatus
FIXED = (S.AWAITING_VERIFICATION, S.CLOSED)

# The monthly series, by key; meetings and documents add one series per kind (`NoticeCategory` values).
MONTHLY_KEYS = (
    "letters",  # enterprises that signed a responsibility letter (by the day signed)
    "inspections",
    "person_times",
    "found",  # hazards found (withdrawn reports aside), by the day found …
    "immediate",  # … of those, fixed on the spot (立即整改, a fix submitted)
    "deadline",  # … fixed by a deadline
    "closed",  # … closed (销号) by now
    "drills",
    "drill_people",
    "trainings",
    "training_people",
)


@dataclass(frozen=True)
class EnterpriseYear:
    """One enterprise's year: its officer, hazards found and closed, receipts, campaign reports, the letter."""

    name: str
    officer: str | None
    found: int = 0
    closed: int = 0
    receipts_answered: int = 0  # of the notices and meeting notices issued in the period
    receipts_due: int = 0
    reports_submitted: int = 0  # campaign self-inspection reports (自查报告) of the campaigns that ran
    reports_due: int = 0
    signed_at: datetime | None = None  # the responsibility letter signed in the period (the first one)


@dataclass
class YearSummary:
    """Everything the drafted summary says for the park days `figures.start` to `figures.end`."""

    figures: SummaryFigures
    enterprises: int  # active enterprises today (the list a park keeps; as officers are counted today)
    # The first park day of each month of the period (the period's start for the first); empty for a period
    # of more than `MONTHS_MAX` months, which is summed up without month tables.
    months: list[date]
    monthly: dict[str, list[int]] = field(default_factory=dict)  # key → one value per month
    meetings: dict[str, list[int]] = field(default_factory=dict)  # meeting kind → held per month
    documents: dict[str, list[int]] = field(default_factory=dict)  # document kind → issued per month
    trend: list[tuple[date, int, int]] = field(default_factory=list)  # (Monday, found, closed) per week
    per_enterprise: list[EnterpriseYear] = field(default_factory=list)

    def series(self, key: str) -> list[int]:
        """Return a monthly series by its key, or a meeting or document kind's; zeros when none."""
        for table in (self.monthly, self.meetings, self.documents):
            if key in table:
                return table[key]
        return [0] * len(self.months)


def _count_in(column: Any, edges: Sequence[Any], condition: Any = True, value: Any = 1) -> list[Any]:
    """Return one summed column per bucket [edges[i], edges[i + 1]): `value` where `condition` holds."""
    return [
        func.coalesce(func.sum(case((and_(column >= edges[i], column < edges[i + 1], condition), value), else_=0)), 0)
        for i in range(len(edges) - 1)
    ]


MONTHS_MAX = 24  # a longer period (an export of several years) gets its figures without the month tables
TREND_WEEKS_MAX = 106  # a trend longer than two years is drawn over its last two years (a readable chart)


async def _row(session: AsyncSession, columns: Sequence[Any], *where: Any) -> list[int]:
    """Return the sums of `columns` (one statement; at most 4 × `MONTHS_MAX` of them)."""
    row = (await session.execute(select(*columns).where(*where))).one()
    return [int(v or 0) for v in row]


def _split(row: Sequence[Any], parts: int, months: int) -> list[list[int]]:
    """Cut one result row of `parts` × `months` sums into `parts` lists."""
    values = [int(v or 0) for v in row]
    return [values[i * months : (i + 1) * months] for i in range(parts)]


async def year_summary(
    session: AsyncSession, start: date, end: date, tz: tzinfo, now: datetime
) -> YearSummary:
    """Return the drafted summary's figures of the park days `start` to `end` (inclusive), as of `now`."""
    days = month_edges(start, end)
    edges = [moment(d, tz) for d in days]
    s, e = edges[0], edges[-1]
    n = len(days) - 1
    figures = await summary_figures(session, start, end, tz, now)
    enterprises = await session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.active.is_(True)))
    y = YearSummary(figures=figures, enterprises=int(enterprises or 0), months=days[:-1] if n <= MONTHS_MAX else [])
    y.per_enterprise = await enterprise_years(session, start, end, tz)
    last_monday, weeks = trend_weeks(start, end)
    y.trend = await trend(session, last_monday, tz, min(weeks, TREND_WEEKS_MAX))
    if not y.months:
        return y

    letters = await _row(session, _count_in(LetterSignature.signed_at, edges))
    y.monthly["letters"] = _split(letters, 1, n)[0]
    row = await _row(
        session, [*_count_in(Inspection.day, days), *_count_in(Inspection.day, days, value=Inspection.person_times)]
    )
    y.monthly["inspections"], y.monthly["person_times"] = _split(row, 2, n)
    fixed = Hazard.status.in_(FIXED)
    row = await _row(
        session,
        [
            *_count_in(Hazard.found_at, edges),
            *_count_in(Hazard.found_at, edges, and_(fixed, Hazard.mode == Mode.IMMEDIATE)),
            *_count_in(Hazard.found_at, edges, and_(fixed, or_(Hazard.mode.is_(None), Hazard.mode != Mode.IMMEDIATE))),
            *_count_in(Hazard.found_at, edges, Hazard.status == S.CLOSED),
        ],
        Hazard.found_at >= s,
        Hazard.found_at < e,
        Hazard.status != S.WITHDRAWN,
    )
    y.monthly["found"], y.monthly["immediate"], y.monthly["deadline"], y.monthly["closed"] = _split(row, 4, n)
    row = await _row(
        session, [*_count_in(Drill.day, days), *_count_in(Drill.day, days, value=func.coalesce(Drill.participants, 0))]
    )
    y.monthly["drills"], y.monthly["drill_people"] = _split(row, 2, n)
    people = func.coalesce(Training.person_times, 0)
    row = await _row(session, [*_count_in(Training.day, days), *_count_in(Training.day, days, value=people)])
    y.monthly["trainings"], y.monthly["training_people"] = _split(row, 2, n)
    # Meetings held: begun before now and not cancelled (as `domain/notices/queries.stats` counts them).
    held_before = min(e, now)
    meetings = await session.execute(
        select(Notice.category, *_count_in(Notice.starts_at, edges, Notice.starts_at < held_before))
        .where(Notice.kind == NoticeKind.MEETING, Notice.status == NoticeStatus.OPEN)
        .where(Notice.starts_at >= s, Notice.starts_at < e)
        .group_by(Notice.category)
    )
    y.meetings = {str(category): _split(rest, 1, n)[0] for category, *rest in meetings.all()}
    documents = await session.execute(
        select(Notice.category, *_count_in(Notice.created_at, edges))
        .where(Notice.kind == NoticeKind.NOTICE, Notice.status != NoticeStatus.WITHDRAWN)
        .where(Notice.created_at >= s, Notice.created_at < e)
        .group_by(Notice.category)
    )
    y.documents = {str(category): _split(rest, 1, n)[0] for category, *rest in documents.all()}
    return y


async def enterprise_years(session: AsyncSession, start: date, end: date, tz: tzinfo) -> list[EnterpriseYear]:
    """Return one line per enterprise (the active ones, and any other with hazards in the period), by name."""
    s, e = moment(start, tz), moment(end + timedelta(days=1), tz)
    hazards = {
        ent: (int(found), int(closed or 0))
        for ent, found, closed in await session.execute(
            select(
                Hazard.enterprise_id,
                func.count(),
                func.sum(case((Hazard.status == S.CLOSED, 1), else_=0)),
            )
            .where(Hazard.found_at >= s, Hazard.found_at < e, Hazard.status != S.WITHDRAWN)
            .group_by(Hazard.enterprise_id)
        )
    }
    receipts = {
        ent: (int(due), int(answered or 0))
        for ent, due, answered in await session.execute(
            select(
                NoticeReceipt.enterprise_id,
                func.count(),
                func.sum(case((NoticeReceipt.status != ReceiptStatus.PENDING, 1), else_=0)),
            )
            .join(Notice, Notice.id == NoticeReceipt.notice_id)
            .where(Notice.created_at >= s, Notice.created_at < e, Notice.status == NoticeStatus.OPEN)
            .group_by(NoticeReceipt.enterprise_id)
        )
    }
    ran = and_(Campaign.created_at < e, or_(Campaign.created_at >= s, Campaign.due_date >= start))
    reports = {
        ent: (int(due), int(submitted))
        for ent, due, submitted in await session.execute(
            select(CampaignTask.enterprise_id, func.count(), func.count(CampaignTask.submitted_at))
            .join(Campaign, Campaign.id == CampaignTask.campaign_id)
            .where(ran)
            .group_by(CampaignTask.enterprise_id)
        )
    }
    signed = dict(
        (
            await session.execute(
                select(LetterSignature.enterprise_id, func.min(LetterSignature.signed_at))
                .where(LetterSignature.signed_at >= s, LetterSignature.signed_at < e)
                .group_by(LetterSignature.enterprise_id)
            )
        ).all()
    )
    rows = await session.execute(
        select(Enterprise.id, Enterprise.name).where(or_(Enterprise.active.is_(True), Enterprise.id.in_(list(hazards))))
    )
    names = dict(rows.all())
    officers = await officers_of(session, list(names))
    lines = []
    for ent, name in names.items():
        found, closed = hazards.get(ent, (0, 0))
        due, answered = receipts.get(ent, (0, 0))
        tasks, submitted = reports.get(ent, (0, 0))
        officer = officers.get(ent)
        lines.append(
            EnterpriseYear(
                name=name,
                officer=officer.display_name if officer else None,
                found=found,
                closed=closed,
                receipts_answered=answered,
                receipts_due=due,
                reports_submitted=submitted,
                reports_due=tasks,
                signed_at=signed.get(ent),
            )
        )
    return sorted(lines, key=lambda x: x.name)
