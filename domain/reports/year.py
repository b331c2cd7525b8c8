"""The year-end summary drafted (年度总结): the period's figures (`queries.summary_figures`), each section's
figures month by month, the weekly trend over the period and one line per enterprise.

Every figure is counted by the record's own date, never by when it was typed in: a hazard by when it was
found, a meeting by when it was held, a notice by when it was issued, a letter by when it was signed, an
inspection, drill or training by its day. Records entered later with their real date (补录) count where
they belong. The months come from one grouped query per subject (never one per month or per row): each
row finds its month with a single CASE over the month edges, and the months add up to the period's totals
by construction.

Rendered by `handlers/reports/summary.py` (chat), `summary_docx.py` (Word) and `summary_sheet.py` (Excel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.emergency.queries import members as command_members
from domain.park.queries import officers_of
from domain.publicity.queries import Total, publicity_totals
from domain.quiz.queries import YearFigures, year_figures
from domain.reports.queries import SummaryFigures, summary_figures
from domain.reports.rules import moment, month_edges, trend_weeks
from domain.supplies.queries import SuppliesStatus, supplies_status
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
    RollCall,
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


@dataclass(frozen=True)
class Readiness:
    """Emergency readiness and safety education: the command (应急救援指挥部) today, its roll calls, the
    supplies and their checks, the knowledge quiz and the publicity of the period."""

    command: int  # members today
    office: int  # of them in the office that coordinates (应急办)
    roll_calls: int  # started in the period (drills' attendance included)
    supplies: SuppliesStatus
    quiz: YearFigures
    publicity: list[Total]


async def readiness(session: AsyncSession, start: date, end: date, tz: tzinfo, today: date) -> Readiness:
    """Return the period's emergency readiness and education figures (each from its subject's own query)."""
    since, until = moment(start, tz), moment(end + timedelta(days=1), tz)
    people = await command_members(session)
    calls = await session.scalar(
        select(func.count()).select_from(RollCall).where(RollCall.started_at >= since, RollCall.started_at < until)
    )
    return Readiness(
        command=len(people),
        office=sum(bool(m.office) for m in people),
        roll_calls=int(calls or 0),
        supplies=await supplies_status(session, since, until, today),
        quiz=await year_figures(session, since, until),
        publicity=await publicity_totals(session, start, end),
    )


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
    readiness: Readiness | None = None

    def series(self, key: str) -> list[int]:
        """Return a monthly series by its key, or a meeting or document kind's; zeros when none."""
        for table in (self.monthly, self.meetings, self.documents):
            if key in table:
                return table[key]
        return [0] * len(self.months)


MONTHS_MAX = 24  # a longer period (an export of several years) gets its figures without the month tables
TREND_WEEKS_MAX = 106  # a trend longer than two years is drawn over its last two years (a readable chart)


def _one(condition: Any = True) -> Any:
    """Return 1 where `condition` holds, else 0: a row's share of a count."""
    return case((condition, 1), else_=0)


async def _buckets(
    session: AsyncSession, column: Any, edges: Sequence[Any], values: Sequence[Any], *where: Any, key: Any = None
) -> dict[Any, list[list[int]]]:
    """Return, for each of `values`, its sum per bucket [edges[i], edges[i + 1]) of `column` (per `key` value
    when given; None otherwise).

    One grouped statement: each row gets its bucket from a single CASE (the first edge it is below), so a year
    of a district's hazards is read once, never once per month (a column per month costs 20× more).
    """
    n = len(edges) - 1
    bucket = case(*[(column < edges[i + 1], i) for i in range(n)], else_=n - 1).label("bucket")
    keyed = [key.label("key")] if key is not None else []
    inner = (
        select(bucket, *keyed, *(v.label(f"v{k}") for k, v in enumerate(values)))
        .where(column >= edges[0], column < edges[-1], *where)
        .subquery()
    )
    group = [inner.c.bucket, *([inner.c.key] if key is not None else [])]
    rows = await session.execute(
        select(*group, *(func.sum(inner.c[f"v{k}"]) for k in range(len(values)))).group_by(*group)
    )
    out: dict[Any, list[list[int]]] = {}
    for index, *rest in rows.all():
        name = rest.pop(0) if key is not None else None
        series = out.setdefault(name, [[0] * n for _ in values])
        for k, total in enumerate(rest):
            series[k][int(index)] += int(total or 0)
    return out


async def _series(
    session: AsyncSession, column: Any, edges: Sequence[Any], values: Sequence[Any], *where: Any
) -> list[list[int]]:
    """Return each of `values` summed per bucket of `column` (zeros where nothing fell)."""
    found = await _buckets(session, column, edges, values, *where)
    return found.get(None, [[0] * (len(edges) - 1) for _ in values])


async def year_summary(
    session: AsyncSession, start: date, end: date, tz: tzinfo, now: datetime
) -> YearSummary:
    """Return the drafted summary's figures of the park days `start` to `end` (inclusive), as of `now`."""
    days = month_edges(start, end)
    edges = [moment(d, tz) for d in days]
    n = len(days) - 1
    figures = await summary_figures(session, start, end, tz, now)
    enterprises = await session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.active.is_(True)))
    y = YearSummary(figures=figures, enterprises=int(enterprises or 0), months=days[:-1] if n <= MONTHS_MAX else [])
    y.per_enterprise = await enterprise_years(session, start, end, tz)
    y.readiness = await readiness(session, start, end, tz, now.astimezone(tz).date())
    y.trend = await weekly_trend(session, start, end, tz)
    if not y.months:
        return y
    (y.monthly["letters"],) = await _series(session, LetterSignature.signed_at, edges, [_one()])
    y.monthly["inspections"], y.monthly["person_times"] = await _series(
        session, Inspection.day, days, [_one(), Inspection.person_times]
    )
    fixed = Hazard.status.in_(FIXED)
    immediate = Hazard.mode == Mode.IMMEDIATE
    (y.monthly["found"], y.monthly["immediate"], y.monthly["deadline"], y.monthly["closed"]) = await _series(
        session,
        Hazard.found_at,
        edges,
        [_one(), _one(and_(fixed, immediate)), _one(and_(fixed, or_(Hazard.mode.is_(None), ~immediate))), _one(Hazard.status == S.CLOSED)],
        Hazard.status != S.WITHDRAWN,
    )
    y.monthly["drills"], y.monthly["drill_people"] = await _series(
        session, Drill.day, days, [_one(), func.coalesce(Drill.participants, 0)]
    )
    y.monthly["trainings"], y.monthly["training_people"] = await _series(
        session, Training.day, days, [_one(), func.coalesce(Training.person_times, 0)]
    )
    # Meetings held: begun before now and not cancelled (as `domain/notices/queries.stats` counts them).
    meetings = await _buckets(
        session, Notice.starts_at, edges, [_one()],
        Notice.kind == NoticeKind.MEETING, Notice.status == NoticeStatus.OPEN, Notice.starts_at < now,
        key=Notice.category,
    )  # fmt: skip
    y.meetings = {str(category): series[0] for category, series in meetings.items()}
    documents = await _buckets(
        session, Notice.created_at, edges, [_one()],
        Notice.kind == NoticeKind.NOTICE, Notice.status != NoticeStatus.WITHDRAWN,
        key=Notice.category,
    )  # fmt: skip
    y.documents = {str(category): series[0] for category, series in documents.items()}
    return y


async def weekly_trend(session: AsyncSession, start: date, end: date, tz: tzinfo) -> list[tuple[date, int, int]]:
    """Return (Monday, found, closed) for each week of a period (its last `TREND_WEEKS_MAX` at most), as the
    digest's trend counts them: found (withdrawn reports aside) by the day found, closed by the day closed."""
    last_monday, weeks = trend_weeks(start, end)
    weeks = min(weeks, TREND_WEEKS_MAX)
    mondays = [last_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    edges = [moment(m, tz) for m in [*mondays, last_monday + timedelta(days=7)]]
    (found,) = await _series(session, Hazard.found_at, edges, [_one()], Hazard.status != S.WITHDRAWN)
    (closed,) = await _series(session, Hazard.closed_at, edges, [_one()])
    return list(zip(mondays, found, closed, strict=True))


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
