"""/补录 (/backfill): enter a past record with its real date, as a park clerk copies last year's paper records.

`/补录 <类别> <日期> <内容>`: a meeting or a notice (`domain/notices/operations.backfill`), a campaign
(`domain/campaigns/operations.backfill`), a closed hazard with its fix and acceptance
(`domain/hazards/backfill.py`), or an inspection, a training or a drill (the words of /inspection,
/training and /drill after the day, `handlers/reports`). Each is marked 补录, sends nothing to the
groups or the enterprises, is never reminded of, and counts in the figures of its real date. Who may is
`Perm.BACKFILL` (`domain/park/rules.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply, clean_text
from bot.routing import Router
from domain.campaigns import operations as campaign_ops
from domain.hazards import queries as hazard_queries
from domain.hazards.backfill import backfill as backfill_hazard
from domain.notices import operations as notice_ops
from domain.park.rules import Perm
from handlers import texts as T
from handlers.backfill.words import (
    Kind,
    read_day,
    read_hazard_words,
    read_kind,
    read_time,
    read_year,
    split_place,
)
from handlers.hazards.text import guess_category, implied_location
from handlers.reports import drills, inspections
from handlers.reports.commands import exact_enterprise
from handlers.util import pick_enterprise
from storage.enums import Mode, NoticeCategory, NoticeKind
from storage.models import Person

router = Router("backfill")

MEETING_TIME = time(9, 0)  # a meeting back-filled without its time: the morning it was held
Recorder = Callable[..., Awaitable[Reply]]
DELEGATED: dict[str, tuple[Recorder, str]] = {
    "inspection": (inspections.record, "/inspection"),
    "training": (drills.record_training, "/training"),
    "drill": (drills.record_drill, "/drill"),
}


@router.command("backfill", perm=Perm.BACKFILL, help_text=T.BACKFILL_HELP)
async def backfill(msg: Incoming, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime) -> Reply:
    """Record a past meeting, notice, campaign, inspection, hazard, training or drill with its real date."""
    words = clean_text(msg.args, 600).split()
    today = settings.park.day(now)
    year = read_year(words[0]) if words else None
    if year is not None:  # /补录 2025年 会议 3月5日 …: the year of the days written without one
        words = words[1:]
    if not words:
        return Reply(text=T.BACKFILL_USAGE)
    kind = read_kind(words[0])
    if kind is None:
        return Reply(text=T.BACKFILL_BAD_KIND.format(text=words[0][:20]))
    if len(words) < 2:
        return Reply(text=T.BACKFILL_NO_DATE)
    day = read_day(words[1], today, year)
    if day is None:
        return Reply(text=T.BACKFILL_BAD_DATE.format(text=words[1][:20]))
    if day > today:
        return Reply(text=T.BACKFILL_FUTURE.format(day=day.isoformat()))
    rest = words[2:]
    if kind.subject in DELEGATED:
        record, command = DELEGATED[kind.subject]
        args = " ".join([day.isoformat(), *rest])
        reply = await record(args, session=session, settings=settings, actor=actor, now=now, backfilled=True)
        if (reply.text or "").startswith(T.BACKFILL_MARK):
            return Reply(text=f"{reply.text}\n{_note(day)}")
        return Reply(text=f"{reply.text}\n{T.BACKFILL_OTHER_USAGE.format(kind=words[0], command=command)}")
    if kind.subject == "hazard":
        return await _hazard(rest, day, session=session, settings=settings, actor=actor, now=now)
    if kind.subject == "campaign":
        return await _campaign(rest, day, session=session, settings=settings, actor=actor, now=now)
    return await _notice(kind, rest, day, session=session, settings=settings, actor=actor, now=now)


def _note(day: date) -> str:
    return T.BACKFILL_NOTE.format(period=f"{day.year}年{day.month}月")


def _at(day: date, settings: Settings, now: datetime, at: time = MEETING_TIME) -> datetime:
    """Return the moment of a back-filled day (at a time of it), never later than now."""
    return min(datetime.combine(day, at, settings.park.tz), now)


async def _notice(
    kind: Kind, words: list[str], day: date, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Back-fill a meeting held (`[时间] <名称> [地点：…]`) or a notice issued (`<名称>`)."""
    meeting = kind.subject == "meeting"
    at = read_time(words[0]) if words else None
    if at is not None:
        words = words[1:]
    words, place = split_place(words)
    title = " ".join(words)[:200]
    if not title:
        example = T.BACKFILL_MEETING_EXAMPLE if meeting else T.BACKFILL_NOTICE_EXAMPLE
        name = T.BACKFILL_KIND_NAMES[kind.subject]
        return Reply(text=T.BACKFILL_NO_TITLE.format(kind=name, example=example))
    when = _at(day, settings, now, at or MEETING_TIME)
    change = await notice_ops.backfill(
        session,
        actor=actor,
        kind=NoticeKind.MEETING if meeting else NoticeKind.NOTICE,
        title=title,
        place=place if meeting else None,
        happened_at=when,
        category=NoticeCategory(kind.category) if kind.category else None,
        year=day.year,
        now=now,
    )
    notice = change.subject
    category = T.NOTICE_CATEGORY_NAMES[notice.category]
    if meeting:
        local = when.astimezone(settings.park.tz).strftime("%Y-%m-%d %H:%M")
        place_text = T.BACKFILL_PLACE.format(place=place) if place else ""
        text = T.BACKFILL_MEETING_DONE.format(
            code=notice.code, category=category, when=local, title=title, place=place_text
        )
    else:
        text = T.BACKFILL_NOTICE_DONE.format(code=notice.code, category=category, day=day.isoformat(), title=title)
    return Reply(text=f"{text}\n{_note(day)}")


async def _campaign(
    words: list[str], day: date, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Back-fill a campaign: `<名称> [截止 <日期>]` (without a due day it ran on its day only)."""
    due = day
    cut = next((i for i, w in enumerate(words) if w in T.BACKFILL_DUE_WORDS), None)
    if cut is not None:
        written = words[cut + 1] if cut + 1 < len(words) else ""
        read = read_day(written, settings.park.day(now), after=day) if written else None
        if read is None or read < day:
            return Reply(text=T.BACKFILL_CAMPAIGN_BAD_DUE.format(text=written[:20], start=day.isoformat()))
        if read > settings.park.day(now):  # still running: launched live, so that enterprises report
            return Reply(text=T.BACKFILL_CAMPAIGN_RUNNING.format(due=read.isoformat()))
        due, words = read, words[:cut] + words[cut + 2 :]
    title = " ".join(words)[:200]
    if not title:
        name = T.BACKFILL_KIND_NAMES["campaign"]
        return Reply(text=T.BACKFILL_NO_TITLE.format(kind=name, example=T.BACKFILL_CAMPAIGN_EXAMPLE))
    change = await campaign_ops.backfill(
        session, actor=actor, title=title, due_date=due, happened_at=_at(day, settings, now), year=day.year, now=now
    )
    text = T.BACKFILL_CAMPAIGN_DONE.format(
        code=change.subject.code, title=title, start=day.isoformat(), due=due.isoformat()
    )
    return Reply(text=f"{text}\n{_note(day)}")


async def _hazard(
    words: list[str], found: date, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Back-fill a closed hazard: `<企业> [部位] <描述> [立即整改 [日期] | 限期 <日期> [整改 <日期>]] 验收 <日期>`."""
    if not words:
        return Reply(text=T.BACKFILL_HAZARD_NO_ENTERPRISE)
    enterprise = await exact_enterprise(session, words[0])
    if enterprise is None:
        picked = await pick_enterprise(session, words[0], button=None)
        said = picked.text if isinstance(picked, Reply) else ""
        return Reply(text=f"{said}\n{T.BACKFILL_HAZARD_USAGE}".strip())
    read = read_hazard_words(words[1:])
    if isinstance(read, str):
        if read in T.BACKFILL_INSPECTION_LABEL:
            return Reply(text=T.BACKFILL_HAZARD_NO_INSPECTION_NAME)
        return Reply(text=T.BACKFILL_HAZARD_DATE_AFTER.format(word=read))
    if read.immediate and read.deadline:
        return Reply(text=T.BACKFILL_HAZARD_BOTH_MODES)
    description = " ".join(read.description)[:1000]
    if not description:
        return Reply(text=T.BACKFILL_HAZARD_NO_DESCRIPTION)
    today = settings.park.day(now)
    days: dict[str, date] = {}
    for slot, written in (read.days or {}).items():
        day = read_day(written, today, after=found)
        if day is None:
            return Reply(text=T.BACKFILL_BAD_DATE.format(text=written[:20]))
        if day > today:
            return Reply(text=T.BACKFILL_FUTURE.format(day=day.isoformat()))
        days[slot] = day
    if "accepted" not in days:
        return Reply(text=T.BACKFILL_HAZARD_NO_ACCEPTANCE)
    mode = Mode.DEADLINE if read.deadline else Mode.IMMEDIATE
    due = days.get("due")
    fixed = days.get("fixed") or (found if mode == Mode.IMMEDIATE else days["accepted"])
    accepted = days["accepted"]
    wrong = _order(found, due, fixed, accepted)
    if wrong:
        return Reply(text=T.BACKFILL_HAZARD_ORDER.format(what=wrong))
    inspection = None
    if read.inspection is not None:
        inspection = await hazard_queries.inspection_named(session, read.inspection, enterprise.id, found)
        if inspection is None:
            return Reply(
                text=T.BACKFILL_HAZARD_NO_INSPECTION.format(
                    day=found.isoformat(), enterprise=enterprise.name, name=read.inspection
                )
            )
    mode_text = T.BACKFILL_HAZARD_DEADLINE.format(due=due.isoformat()) if due else T.BACKFILL_HAZARD_IMMEDIATE
    location = implied_location(description)
    change = await backfill_hazard(
        session,
        actor=actor,
        enterprise_id=enterprise.id,
        description=description,
        location=location,
        category=guess_category(description),
        mode=mode,
        due_date=due,
        found_at=_at(found, settings, now),
        fixed_at=_at(fixed, settings, now),
        accepted_at=_at(accepted, settings, now),
        fix_note=T.BACKFILL_FIX_NOTE.format(mode=mode_text),
        now=now,
        inspection_id=inspection.id if inspection else None,
    )
    text = T.BACKFILL_HAZARD_DONE.format(
        code=change.subject.code,
        enterprise=enterprise.name,
        location=T.BACKFILL_HAZARD_LOCATION.format(location=location) if location and not description.startswith(location) else "",
        description=description,
        found=found.isoformat(),
        inspection=T.BACKFILL_HAZARD_INSPECTION.format(name=read.inspection) if inspection else "",
        mode=mode_text,
        fixed=fixed.isoformat(),
        accepted=accepted.isoformat(),
    )
    return Reply(text=f"{text}\n{_note(found)}")


def _order(found: date, due: date | None, fixed: date, accepted: date) -> str | None:
    """Say which of a back-filled hazard's days are out of order, or None."""
    if due is not None and due < found:
        return T.BACKFILL_HAZARD_DUE_BEFORE_FOUND.format(due=due.isoformat(), found=found.isoformat())
    if fixed < found:
        return T.BACKFILL_HAZARD_FIX_BEFORE_FOUND.format(fixed=fixed.isoformat(), found=found.isoformat())
    if accepted < fixed:
        return T.BACKFILL_HAZARD_ACCEPT_BEFORE_FIX.format(accepted=accepted.isoformat(), fixed=fixed.isoformat())
    return None
