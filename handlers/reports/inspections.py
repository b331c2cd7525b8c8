"""Inspections that find hazards: `/inspection start` (/开始检查) opens one, `/inspection end` (/结束检查)
closes it and posts what it found. Hazards its opener reports meanwhile are linked to it by the hazard
domain (`domain/hazards/rules.linked_inspection`); who may run one is `domain/reports/rules`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply, clean_text
from bot.routing import Router
from domain.outcome import Refused
from domain.park import queries as park_queries
from domain.park.rules import Perm
from domain.reports import operations as report_ops
from domain.reports import queries as report_queries
from domain.reports.rules import InspectionRefusal, is_recheck, may_record_inspection
from handlers import texts as T
from handlers.reports.commands import _count, exact_enterprise, record_args
from handlers.util import pick_enterprise
from storage.models import Enterprise, Inspection, Person

router = Router("inspections")


def enterprises_text(names: list[str]) -> str:
    """Name the enterprises of an inspection: all of them up to five, else the first and how many."""
    if len(names) <= 5:
        return "、".join(names)
    return T.INSPECTION_ENTERPRISES_MANY.format(first=names[0], count=len(names))


def refusal_text(refused: Refused, open_name: str | None = None) -> str:
    """Say why an inspection was not opened or closed."""
    reason = refused.reason
    key = reason.value if isinstance(reason, InspectionRefusal) else "not_allowed"
    return T.INSPECTION_REFUSALS[key].format(name=refused.detail.get("name") or open_name or "")



async def _leading_enterprises(session: AsyncSession, words: list[str]) -> tuple[list[Enterprise], list[str]]:
    """Read enterprises (names, aliases, or 全园区 for every one) from the front of the words; return them
    and the words after them."""
    chosen: list[Enterprise] = []
    rest = words
    while rest:
        if rest[0] in T.PARK_WIDE_WORDS:
            return list(await park_queries.list_enterprises(session)), rest[1:]
        found = await exact_enterprise(session, rest[0])
        if found is None:
            break
        if found not in chosen:
            chosen.append(found)
        rest = rest[1:]
    return chosen, rest

@router.command("inspection", perm=Perm.INSPECTION_RUN, help_text=T.REPORT_HELP["inspection"])
async def inspection(
    msg: Incoming, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Record an inspection: its day, person-times, the enterprises visited and what was checked; or open
    (`/inspection start …`) or close (`/inspection end`) one."""
    words = clean_text(msg.args, 300).split()
    if words and words[0].lower() in T.INSPECTION_START_WORDS:
        return await start(words[1:], session=session, settings=settings, actor=actor, now=now)
    if words and words[0].lower() in T.INSPECTION_END_WORDS:
        return await end(session=session, settings=settings, actor=actor, now=now)
    if not may_record_inspection(actor):
        return Reply(text=T.INSPECTION_RECORD_DENIED)
    return await record(msg.args, session=session, settings=settings, actor=actor, now=now)


async def record(
    args: str, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime, backfilled: bool = False
) -> Reply:
    """Record an inspection after the fact from `<day> <人次> <企业…> [what was checked]` (`backfilled`: 补录)."""
    parsed = record_args(args, settings.park.day(now), T.INSPECTION_USAGE, T.INSPECTION_BAD_DATE)
    if isinstance(parsed, Reply):
        return parsed
    day, words = parsed
    # 人次 first (/inspection 11月28日 6 华油) or after the enterprises (/inspection 12月5日 华油 3人次).
    counted = _count(words)
    rest = words[counted[1] :] if counted else words
    chosen, rest = await _leading_enterprises(session, rest)
    if counted is None and chosen and (after := _count(rest)):
        counted, rest = after, rest[after[1] :]
    # No count read: name the word that should have been one, unless a count follows a word that is no
    # enterprise (/inspection 12月5日 华由 3人次): then the name is what is wrong.
    count_later = any(_count(words[i:]) for i in range(1, len(words)))
    if counted is None and (chosen or not count_later):
        return Reply(text=T.INSPECTION_BAD_COUNT.format(text=(rest or words)[0][:20]))
    if not chosen:
        near = await pick_enterprise(session, rest[0] if rest else words[0], button=None)
        if isinstance(near, Reply):
            return Reply(text=f"{near.text}\n{T.INSPECTION_USAGE}")
        return Reply(text=T.INSPECTION_NO_ENTERPRISE)
    assert counted is not None  # without enterprises the command was answered above
    person_times = counted[0]
    activity = " ".join(rest)[:200] or None
    await report_ops.record_inspection(
        session,
        day=day,
        person_times=person_times,
        enterprise_ids=[e.id for e in chosen],
        activity=activity,
        actor=actor,
        at=now,
        backfilled=backfilled,
    )
    year = await report_queries.summary_figures(
        session, date(day.year, 1, 1), date(day.year, 12, 31), settings.park.tz, now
    )
    names = (
        "、".join(e.name for e in chosen) if len(chosen) <= 5 else f"{chosen[0].name}等 {len(chosen)} 家企业"
    )
    return Reply(
        text=(T.BACKFILL_MARK if backfilled else "")
        + T.INSPECTION_DONE.format(
            day=day.isoformat(),
            enterprises=names,
            person_times=person_times,
            activity=f"，{activity}" if activity else "",
            count=year.inspections,
        )
    )


@router.command("inspection_start", perm=Perm.INSPECTION_RUN, help_text=T.REPORT_HELP["inspection_start"])
async def inspection_start(
    msg: Incoming, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Open an inspection: `<名称> <企业…|全园区> [N人次]`."""
    return await start(
        clean_text(msg.args, 300).split(), session=session, settings=settings, actor=actor, now=now
    )


async def start(
    words: list[str], *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Open an inspection from its words (the name first, then the enterprises, then a count)."""
    if len(words) < 2:
        return Reply(text=T.INSPECTION_START_USAGE)
    name, rest = words[0][:100], words[1:]
    chosen, rest = await _leading_enterprises(session, rest)
    if not chosen:
        return Reply(text=T.INSPECTION_START_NO_ENTERPRISE)
    inspectors: list[Person] = []
    for word in [w for w in rest if w[:1] in "@＠"]:
        found_people = [
            p for p in await park_queries.find_people(session, actor.platform, word[1:]) if p.id != actor.id
        ]
        if not found_people:
            return Reply(text=T.INSPECTION_MEMBER_UNKNOWN.format(text=word[:20]))
        if len(found_people) > 1:
            names = "、".join(p.display_name for p in found_people)
            return Reply(text=T.INSPECTION_MEMBER_AMBIGUOUS.format(text=word[:20], names=names))
        if found_people[0] not in inspectors:
            inspectors.append(found_people[0])
    rest = [w for w in rest if w[:1] not in "@＠"]
    counted = _count(rest)
    if rest and (counted is None or counted[1] != len(rest)):
        return Reply(text=T.INSPECTION_START_BAD_COUNT.format(text=rest[0][:20]))
    person_times = counted[0] if counted else 1 + len(inspectors)
    try:
        await report_ops.start_inspection(
            session,
            name=name,
            day=settings.park.day(now),
            person_times=person_times,
            enterprise_ids=[e.id for e in chosen],
            actor=actor,
            at=now,
            inspectors=inspectors,
        )
    except Refused as refused:
        return Reply(text=refusal_text(refused, await _open_name(session, actor)))
    who = T.INSPECTION_STARTED_WITH.format(names="、".join(p.display_name for p in inspectors))
    started = T.INSPECTION_STARTED.format(
        name=name,
        enterprises=enterprises_text([e.name for e in chosen]),
        person_times=person_times,
        who=who if inspectors else T.INSPECTION_STARTED_YOU,
    )
    if is_recheck(name):
        started += await recheck_text(session, [e.id for e in chosen])
    return Reply(text=started)


async def recheck_text(session: AsyncSession, enterprise_ids: list[int]) -> str:
    """List the open hazards a 复查 (re-inspection) of these enterprises checks."""
    rows, total = await report_queries.open_hazards_of(session, enterprise_ids)
    if not total:
        return T.INSPECTION_RECHECK_NONE
    lines = "\n".join(
        T.INSPECTION_RECHECK_LINE.format(code=code, enterprise=ent, description=text[:40])
        for code, ent, text in rows
    )
    more = T.INSPECTION_RECHECK_MORE.format(count=total - len(rows)) if total > len(rows) else ""
    return T.INSPECTION_RECHECK_OPEN.format(count=total, lines=lines, more=more)


@router.command("inspection_end", perm=Perm.INSPECTION_RUN, help_text=T.REPORT_HELP["inspection_end"])
async def inspection_end(
    msg: Incoming, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Close the inspection the person has open and post what it found."""
    return await end(session=session, settings=settings, actor=actor, now=now)


async def end(*, session: AsyncSession, settings: Settings, actor: Person, now: datetime) -> Reply:
    """Close the person's open inspection; the reply is its card: enterprises, hazards and how they are fixed."""
    try:
        row = await report_ops.end_inspection(session, actor=actor, at=now)
    except Refused as refused:
        return Reply(text=refusal_text(refused))
    card = card_text(row, await report_queries.inspection_findings(session, row), actor, settings)
    if is_recheck(row.name or ""):
        card += await still_open_text(session, row)
    return Reply(text=card)


async def still_open_text(session: AsyncSession, row: Inspection) -> str:
    """Name the hazards still open when a 复查 ends: what a 通报 (notice of criticism) would list."""
    rows, total = await report_queries.open_hazards_of(session, list(row.enterprise_ids or []))
    if not total:
        return T.INSPECTION_RECHECK_ALL_CLOSED
    codes = "、".join(code for code, _, _ in rows) + (T.INSPECTION_RECHECK_ETC if total > len(rows) else "")
    return T.INSPECTION_RECHECK_STILL_OPEN.format(count=total, codes=codes, name=row.name or "")


def card_text(
    row: Inspection, f: report_queries.InspectionFindings, actor: Person, settings: Settings
) -> str:
    """Render the card of an ended inspection."""
    start = row.created_at.astimezone(settings.park.tz).strftime("%Y-%m-%d %H:%M")
    end = row.closed_at.astimezone(settings.park.tz).strftime("%Y-%m-%d %H:%M") if row.closed_at else ""
    return T.INSPECTION_CARD.format(
        name=row.name or row.activity or "",
        start=start,
        end=end,
        who="、".join(f.people) or actor.display_name,
        person_times=row.person_times,
        enterprises=enterprises_text(f.enterprises),
        found=f.found,
        major=T.INSPECTION_CARD_MAJOR.format(count=f.major) if f.major else "",
        immediate=f.immediate,
        deadline=f.deadline,
        undecided=T.INSPECTION_CARD_UNDECIDED.format(count=f.undecided) if f.undecided else "",
        codes=T.INSPECTION_CARD_CODES.format(codes="、".join(f.codes[:20])) if f.codes else "",
    )


async def _open_name(session: AsyncSession, actor: Person) -> str | None:
    found = await report_ops.open_inspection_of(session, actor)
    return found.name if found else None
