"""The figures of the weekly digest (周报) and the period summary (年度总结).

Every figure is a set-based query (grouped counts over the time indexes of migration 0010), never a
query per hazard, so a district's ten years of data still answer in well under a second. Figures
about meetings, notices and campaigns come from `broadcast_figures` (over `domain/notices/` and the
campaign tables). Which hazards are overdue is the hazards' own rule, in SQL: `overdue_clauses` in
`domain/hazards/queries.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.hazards.queries import overdue_clauses
from domain.hazards.rules import immediate_due
from domain.letters.queries import signed_between
from domain.notices import queries as notice_queries
from domain.park.queries import officer_counts
from domain.reports.rules import moment, week_label, week_start
from storage.enums import OPEN_STATUSES, DrillKind, HazardStatus, Level, Mode, TaskStatus
from storage.models import (
    Campaign,
    CampaignTask,
    Drill,
    Enterprise,
    Hazard,
    Inspection,
    Notice,
    Person,
    Training,
)

S = HazardStatus
TREND_WEEKS = 8


# --- meetings, notices and campaigns --------------------------------------------------------


@dataclass(frozen=True)
class CampaignProgress:
    """One campaign (专项行动): how many enterprises have a task, how many reported it done."""

    title: str
    tasks: int
    done: int


@dataclass(frozen=True)
class BroadcastFigures:
    """Meetings held and their receipts, notices issued, and campaign progress in a period."""

    meetings: int
    receipts_expected: int  # every receipt asked for, meetings and notices
    receipts_given: int
    notices: int
    meeting_receipts_expected: int
    meeting_receipts_given: int
    attendance_places: int  # enterprise places at meetings whose attendance was recorded
    attended: int
    campaigns: tuple[CampaignProgress, ...] = ()
    meetings_scheduled: int = 0  # in the period, not yet begun: said apart, never as held
    # By kind (`NoticeCategory` values): meetings held (例会, 动员会, …) and notices issued (通知, 方案, …)
    meetings_by_category: dict[str, int] = field(default_factory=dict)
    notices_by_category: dict[str, int] = field(default_factory=dict)


async def broadcast_figures(
    session: AsyncSession, start: datetime, end: datetime, first_day: date, now: datetime | None = None
) -> BroadcastFigures:
    """Return the meeting, notice and campaign figures of a period.

    Meetings held and notices issued in [start, end) with their receipts (`domain/notices/`);
    campaigns that ran in the period (launched in it, or launched before and due on or after its first
    park day), each with its tasks and how many were accepted.
    """
    figures = await notice_queries.stats(session, start, end, now)
    return BroadcastFigures(
        meetings=figures.meetings_held,
        meetings_scheduled=figures.meetings_scheduled,
        receipts_expected=figures.notice_receipts_due,
        receipts_given=figures.notice_receipts_answered,
        notices=figures.notices_issued,
        meeting_receipts_expected=figures.meeting_receipts_due,
        meeting_receipts_given=figures.meeting_receipts_answered,
        attendance_places=figures.attendance_recorded,
        attended=figures.attended,
        meetings_by_category=figures.meetings_by_category,
        notices_by_category=figures.notices_by_category,
        campaigns=tuple(
            CampaignProgress(title=f"{c.code} {c.title}", tasks=total, done=accepted)
            for c, total, accepted in await _campaigns_in(session, start, end, first_day)
        ),
    )


async def meetings_and_notices(
    session: AsyncSession, start: datetime, end: datetime, now: datetime | None = None
) -> tuple[list[Notice], list[Notice]]:
    """Return the meetings held (before `now`) and the notices issued in [start, end): the rows the
    figures count, for the export's sheet of meetings and documents by kind."""
    return await notice_queries.counted(session, start, end, now)


async def _campaigns_in(
    session: AsyncSession, start: datetime, end: datetime, first_day: date
) -> list[tuple[Campaign, int, int]]:
    """Return the campaigns that ran in [start, end) with their task and accepted counts (one query)."""
    accepted = func.sum(case((CampaignTask.status == TaskStatus.ACCEPTED, 1), else_=0))
    rows = await session.execute(
        select(Campaign, func.count(CampaignTask.id), accepted)
        .outerjoin(CampaignTask, CampaignTask.campaign_id == Campaign.id)
        .where(_campaign_ran(start, end, first_day))
        .group_by(Campaign.id)
        .order_by(Campaign.id)
    )
    return [(c, int(total), int(done or 0)) for c, total, done in rows.all()]


def _campaign_ran(start: datetime, end: datetime, first_day: date) -> Any:
    """Return the condition of a campaign that ran in [start, end): launched in it, or launched before and
    due on or after its first park day."""
    return and_(Campaign.created_at < end, or_(Campaign.created_at >= start, Campaign.due_date >= first_day))


@dataclass(frozen=True)
class CampaignRow:
    """One enterprise's state in one campaign, for the Excel sheet 专项行动."""

    campaign: str
    enterprise: str | None  # None: a campaign without tasks (back-filled from paper records, 补录)
    state: TaskStatus | None
    reported_at: datetime | None
    backfilled: bool = False


async def campaign_rows(session: AsyncSession, start: datetime, end: datetime, first_day: date) -> list[CampaignRow]:
    """Return campaigns × enterprises of the campaigns that ran in [start, end), by campaign and enterprise
    (a campaign without tasks, back-filled, on one row of its own)."""
    rows = await session.execute(
        select(
            Campaign.code, Campaign.title, Enterprise.name, CampaignTask.status, CampaignTask.submitted_at,
            Campaign.backfilled_at,
        )
        .outerjoin(CampaignTask, CampaignTask.campaign_id == Campaign.id)
        .outerjoin(Enterprise, Enterprise.id == CampaignTask.enterprise_id)
        .where(_campaign_ran(start, end, first_day))
        .order_by(Campaign.id, Enterprise.name)
    )
    return [
        CampaignRow(
            campaign=f"{code} {title}", enterprise=name, state=status, reported_at=at, backfilled=backfilled is not None
        )
        for code, title, name, status, at, backfilled in rows.all()
    ]


# --- the weekly digest ------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    """A hazard overdue on the report's day, and by how many days."""

    code: str
    enterprise_id: int
    days: int
    level: Level


@dataclass
class EnterpriseWeek:
    """One enterprise's week."""

    enterprise_id: int
    name: str
    found: int = 0
    closed_immediate: int = 0
    closed_deadline: int = 0
    open: int = 0
    overdue: list[OverdueItem] = field(default_factory=list)

    @property
    def closed(self) -> int:
        """Return how many hazards were closed (销号) in the week."""
        return self.closed_immediate + self.closed_deadline

    @property
    def quiet(self) -> bool:
        """Tell whether nothing happened: nothing found, closed or overdue (open ones may wait)."""
        return not (self.found or self.closed or self.overdue)


@dataclass(frozen=True)
class MajorItem:
    """A major hazard found in the week or still open at its end."""

    code: str
    enterprise: str
    status: HazardStatus
    found_at: datetime


@dataclass
class WeekFigures:
    """Everything the weekly digest says, for the week from `start` (a Monday) to `start + 7 days`."""

    start: date
    as_of: date  # the day overdue is counted on (the day after the week, or today for this week)
    enterprises: list[EnterpriseWeek]
    majors: list[MajorItem]
    trend: list[tuple[date, int, int]]  # (Monday, found, closed) for the last TREND_WEEKS weeks
    broadcast: BroadcastFigures

    @property
    def end(self) -> date:
        """Return the Monday after the week (exclusive end)."""
        return self.start + timedelta(days=7)

    @property
    def label(self) -> str:
        """Return the ISO week, e.g. 2026-W48."""
        return week_label(self.start)

    def total(self, attr: str) -> int:
        """Return a figure summed over the enterprises."""
        return sum(getattr(e, attr) for e in self.enterprises)

    @property
    def overdue(self) -> list[OverdueItem]:
        """Return every overdue hazard, most overdue first."""
        return sorted((o for e in self.enterprises for o in e.overdue), key=lambda o: (-o.days, o.code))


async def open_at(session: AsyncSession, end: datetime) -> dict[int, int]:
    """Return per enterprise how many hazards found before `end` were still open at `end`.

    Three index-friendly parts: open now; closed after `end`; withdrawn after `end`.
    """
    counts: dict[int, int] = defaultdict(int)
    parts = (
        and_(Hazard.status.in_(OPEN_STATUSES), Hazard.found_at < end),
        and_(Hazard.closed_at >= end, Hazard.found_at < end),
        and_(Hazard.status == S.WITHDRAWN, Hazard.updated_at >= end, Hazard.found_at < end),
    )
    for where in parts:
        ent = by_enterprise()
        rows = await session.execute(select(ent, func.count()).where(where).group_by(ent))
        for enterprise_id, n in rows.all():
            counts[enterprise_id] += n
    return counts


def by_enterprise() -> Any:
    """Return the enterprise id to group by, as `enterprise_id + 0`.

    A plain column lets the planner (SQLite's, seen on a million rows) walk the whole
    (enterprise_id, status) index to group, instead of the selective index of the WHERE clause: 40×
    slower. The expression is the same value and keeps the choice with the WHERE clause.
    """
    return (Hazard.enterprise_id + 0).label("ent")


async def overdue_items(
    session: AsyncSession, day: date, tz: tzinfo, grace_days: int, found_before: datetime | None = None
) -> list[OverdueItem]:
    """Return the hazards overdue on a park day with their days overdue, reading only the columns needed."""
    items: dict[str, OverdueItem] = {}
    past_due, immediate = overdue_clauses(day, tz, grace_days, found_before=found_before)
    rows = await session.execute(select(Hazard.code, Hazard.enterprise_id, Hazard.level, Hazard.due_date).where(past_due))
    for code, ent_id, level, due_date in rows.all():
        assert due_date is not None  # `due_date < day` held
        items[code] = OverdueItem(code, ent_id, (day - due_date).days, Level(level))
    found = await session.execute(select(Hazard.code, Hazard.enterprise_id, Hazard.level, Hazard.found_at).where(immediate))
    for code, ent_id, level, found_at in found.all():
        last_day = immediate_due(found_at, tz, grace_days)
        items[code] = OverdueItem(code, ent_id, (day - last_day).days, Level(level))
    return [items[c] for c in sorted(items)]


async def week_figures(
    session: AsyncSession, start: date, today: date, tz: tzinfo, grace_days: int = 1, now: datetime | None = None
) -> WeekFigures:
    """Return the figures of the week that starts on Monday `start`, as they stand on `today`.

    Found and closed count what happened in the week; open is as at the week's end; overdue is counted
    on the day after the week (or today, for the week still running) from the hazards' current state.
    """
    start = week_start(start)
    end_day = start + timedelta(days=7)
    s, e = moment(start, tz), moment(end_day, tz)
    as_of = min(today, end_day)
    ents = {
        x.id: EnterpriseWeek(x.id, x.name)
        for x in await session.scalars(select(Enterprise).where(Enterprise.active).order_by(Enterprise.id))
    }

    async def names(ids: Sequence[int]) -> None:
        missing = [i for i in ids if i not in ents]
        if missing:
            for x in await session.scalars(select(Enterprise).where(Enterprise.id.in_(missing))):
                ents[x.id] = EnterpriseWeek(x.id, x.name)

    ent = by_enterprise()
    found: dict[int, int] = {
        ent_id: n
        for ent_id, n in await session.execute(
            select(ent, func.count()).where(_found_in(s, e)).group_by(ent)
        )
    }
    closed = (
        await session.execute(
            select(ent, Hazard.mode, func.count())
            .where(Hazard.closed_at >= s, Hazard.closed_at < e)
            .group_by(ent, Hazard.mode)
        )
    ).all()
    still_open = await open_at(session, e)
    late = await overdue_items(session, as_of, tz, grace_days, found_before=e)
    await names([*found, *(c[0] for c in closed), *still_open, *(o.enterprise_id for o in late)])
    for ent_id, n in found.items():
        ents[ent_id].found = n
    for ent_id, mode, n in closed:
        if mode == Mode.IMMEDIATE:
            ents[ent_id].closed_immediate += n
        else:
            ents[ent_id].closed_deadline += n
    for ent_id, n in still_open.items():
        ents[ent_id].open = n
    for item in late:
        ents[item.enterprise_id].overdue.append(item)

    majors_by_code: dict[str, MajorItem] = {}
    for where in (  # found in the week (time index), or still open (status index): no OR over both
        _found_in(s, e),
        and_(Hazard.status.in_(OPEN_STATUSES), Hazard.found_at < e),
    ):
        rows = await session.execute(
            select(Hazard.code, Enterprise.name, Hazard.status, Hazard.found_at)
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .where(where, Hazard.level == Level.MAJOR)
        )
        for code, name, status, at in rows.all():
            majors_by_code[code] = MajorItem(code, name, S(status), at)
    majors = sorted(majors_by_code.values(), key=lambda m: (m.found_at, m.code))
    return WeekFigures(
        start=start,
        as_of=as_of,
        enterprises=sorted(ents.values(), key=lambda x: x.enterprise_id),
        majors=majors,
        trend=await trend(session, start, tz),
        broadcast=await broadcast_figures(session, s, e, start, now),
    )


async def trend(session: AsyncSession, last_monday: date, tz: tzinfo, weeks: int = TREND_WEEKS) -> list[tuple[date, int, int]]:
    """Return (Monday, found, closed) for the `weeks` weeks ending with the one of `last_monday`: two queries."""
    mondays = [last_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    edges = [moment(m, tz) for m in [*mondays, last_monday + timedelta(days=7)]]

    def buckets(column: Any) -> list[Any]:
        return [
            func.coalesce(func.sum(case((and_(column >= edges[i], column < edges[i + 1]), 1), else_=0)), 0)
            for i in range(weeks)
        ]

    found = (
        await session.execute(
            select(*buckets(Hazard.found_at)).where(_found_in(edges[0], edges[-1]))
        )
    ).one()
    closed = (
        await session.execute(
            select(*buckets(Hazard.closed_at)).where(Hazard.closed_at >= edges[0], Hazard.closed_at < edges[-1])
        )
    ).one()
    return [(mondays[i], int(found[i]), int(closed[i])) for i in range(weeks)]


def _found_in(start: datetime, end: datetime) -> Any:
    """Return the condition of a hazard found in [start, end), a withdrawn (mistaken) report aside."""
    return and_(Hazard.found_at >= start, Hazard.found_at < end, Hazard.status != S.WITHDRAWN)


# --- the period summary (年度总结) -------------------------------------------------------------


@dataclass
class SummaryFigures:
    """The figures a year-end safety work summary needs, for the park days `start` to `end` (inclusive).

    Hazard figures follow the hazards found in the period: how many, and where they stand now.
    """

    start: date
    end: date
    broadcast: BroadcastFigures
    inspections: int = 0
    inspection_person_times: int = 0
    inspection_found: int = 0  # of the hazards found, those found on an inspection (检查发现, `/inspection start`)
    found: int = 0
    major: int = 0
    rectified_immediately: int = 0  # 立即整改, fix submitted (awaiting verification or closed)
    rectified_by_deadline: int = 0  # 限期整改, fix submitted
    closed: int = 0
    still_open: int = 0
    drills: int = 0
    drill_people: int = 0
    drill_kinds: dict[DrillKind, int] = field(default_factory=dict)  # only the kinds that occurred, in enum order
    trainings: int = 0
    training_people: int = 0
    trainings_external: int = 0  # 外部 trainings (those not said to be external or internal count in neither)
    trainings_internal: int = 0
    officers: int = 0  # committee officers looking after enterprises (包片干部), as assigned today
    officer_enterprises: int = 0  # active enterprises with an officer (包联企业), today
    letters_signed: int = 0  # enterprises that returned a signed responsibility letter (目标责任状) in the period


FIXED = (S.AWAITING_VERIFICATION, S.CLOSED)


async def summary_figures(
    session: AsyncSession, start: date, end: date, tz: tzinfo, now: datetime | None = None
) -> SummaryFigures:
    """Return the summary figures of the park days from `start` to `end`, both included (meetings that
    have not begun by `now` are not counted as held)."""
    s, e = moment(start, tz), moment(end + timedelta(days=1), tz)
    f = SummaryFigures(start=start, end=end, broadcast=await broadcast_figures(session, s, e, start, now))
    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    fixed = Hazard.status.in_(FIXED)
    row = (
        await session.execute(
            select(
                func.count(),
                count_if(Hazard.level == Level.MAJOR),
                count_if(and_(fixed, Hazard.mode == Mode.IMMEDIATE)),
                count_if(and_(fixed, or_(Hazard.mode.is_(None), Hazard.mode != Mode.IMMEDIATE))),
                count_if(Hazard.status == S.CLOSED),
                count_if(Hazard.status.in_(OPEN_STATUSES)),
                count_if(Hazard.inspection_id.is_not(None)),
            ).where(_found_in(s, e))
        )
    ).one()
    (
        f.found, f.major, f.rectified_immediately, f.rectified_by_deadline, f.closed, f.still_open, f.inspection_found,
    ) = (int(n) for n in row)  # fmt: skip
    count, people = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Inspection.person_times), 0)).where(
                Inspection.day >= start, Inspection.day <= end
            )
        )
    ).one()
    f.inspections, f.inspection_person_times = int(count), int(people or 0)
    drills = await session.execute(
        select(Drill.drill_kind, func.count(), func.coalesce(func.sum(Drill.participants), 0))
        .where(Drill.day >= start, Drill.day <= end)
        .group_by(Drill.drill_kind)
    )
    by_kind = {kind: (int(n), int(joined or 0)) for kind, n, joined in drills.all()}
    f.drill_kinds = {kind: by_kind[kind][0] for kind in DrillKind if kind in by_kind}
    f.drills = sum(n for n, _ in by_kind.values())
    f.drill_people = sum(joined for _, joined in by_kind.values())
    count_if_external = func.coalesce(func.sum(case((Training.external.is_(True), 1), else_=0)), 0)
    count_if_internal = func.coalesce(func.sum(case((Training.external.is_(False), 1), else_=0)), 0)
    count, people, external, internal = (
        await session.execute(
            select(
                func.count(), func.coalesce(func.sum(Training.person_times), 0), count_if_external, count_if_internal
            ).where(Training.day >= start, Training.day <= end)
        )
    ).one()
    f.trainings, f.training_people = int(count), int(people or 0)
    f.trainings_external, f.trainings_internal = int(external), int(internal)
    f.officers, f.officer_enterprises = await officer_counts(session)
    f.letters_signed = await signed_between(session, s, e)
    return f


# --- what an inspection found (the card posted when it is ended) --------------------------------


@dataclass
class InspectionFindings:
    """What one inspection found: the enterprises it covered and its hazards by how they are rectified."""

    enterprises: list[str]
    people: list[str] = field(default_factory=list)  # its opener, then the inspectors listed
    found: int = 0  # linked hazards, withdrawn (mistaken) reports aside
    major: int = 0
    immediate: int = 0  # 立即整改
    deadline: int = 0  # 限期整改
    undecided: int = 0  # no way of rectification chosen yet
    codes: list[str] = field(default_factory=list)


async def inspection_findings(session: AsyncSession, inspection: Inspection) -> InspectionFindings:
    """Return what an inspection found: its enterprises' names and its linked hazards, counted."""
    ids = list(inspection.enterprise_ids or [])
    names = dict((await session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids)))).all()) if ids else {}
    f = InspectionFindings(enterprises=[names[i] for i in ids if i in names])
    members = [i for i in (inspection.recorded_by_id, *(inspection.inspector_ids or ())) if i is not None]
    people = dict((await session.execute(select(Person.id, Person.display_name).where(Person.id.in_(members)))).all())
    f.people = [people[i] for i in members if i in people]
    hazards = await session.execute(
        select(Hazard.code, Hazard.level, Hazard.mode)
        .where(Hazard.inspection_id == inspection.id, Hazard.status != S.WITHDRAWN)
        .order_by(Hazard.id)
    )
    for code, level, mode in hazards.all():
        f.found += 1
        f.codes.append(code)
        f.major += level == Level.MAJOR
        if mode == Mode.IMMEDIATE:
            f.immediate += 1
        elif mode == Mode.DEADLINE:
            f.deadline += 1
        else:
            f.undecided += 1
    return f


async def open_hazards_of(session: AsyncSession, enterprise_ids: Sequence[int], limit: int = 30) -> tuple[list[tuple[str, str, str]], int]:
    """Return the open hazards of some enterprises, oldest first, as (code, enterprise, description), at
    most `limit`, and how many there are in all (a 复查 lists them)."""
    where = and_(Hazard.enterprise_id.in_(list(enterprise_ids)), Hazard.status.in_(OPEN_STATUSES))
    total = await session.scalar(select(func.count()).select_from(Hazard).where(where))
    rows = await session.execute(
        select(Hazard.code, Enterprise.name, Hazard.description)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(where)
        .order_by(Hazard.found_at, Hazard.id)
        .limit(limit)
    )
    return [(code, name, text) for code, name, text in rows.all()], int(total or 0)


# --- the year's drills and trainings (/drills, /trainings) ----------------------------------------


async def drills_between(session: AsyncSession, start: date, end: date) -> list[tuple[Drill, str | None]]:
    """Return the drills of the park days `start` to `end` in day order, each with its enterprise's name
    (None: park-wide)."""
    rows = await session.execute(
        select(Drill, Enterprise.name)
        .outerjoin(Enterprise, Enterprise.id == Drill.enterprise_id)
        .where(Drill.day >= start, Drill.day <= end)
        .order_by(Drill.day, Drill.id)
    )
    return [(d, name) for d, name in rows.all()]


async def trainings_between(session: AsyncSession, start: date, end: date) -> list[tuple[Training, list[str]]]:
    """Return the trainings of the park days `start` to `end` in day order, each with its enterprises' names."""
    trainings = list(
        (
            await session.scalars(
                select(Training).where(Training.day >= start, Training.day <= end).order_by(Training.day, Training.id)
            )
        ).all()
    )
    ids = {i for t in trainings for i in t.enterprise_ids}
    names = dict((await session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids)))).all()) if ids else {}
    return [(t, [names[i] for i in t.enterprise_ids if i in names]) for t in trainings]
