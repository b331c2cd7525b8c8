"""Recording drills (/drill: 消防, 危化品泄漏, 防汛 or other, with enterprise and place) and trainings
(/training: organiser, external or internal, days, enterprises, person-times), and listing a year's
(/drills, /trainings), all counted in the summary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply, clean_text
from bot.routing import Router
from domain.park import queries as park_queries
from domain.park.rules import Perm
from domain.reports import operations as report_ops
from domain.reports import queries as report_queries
from domain.reports.rules import is_drill, is_training
from handlers import texts as T
from handlers.reports.commands import COUNT_RE, COUNT_UNITS, YEAR_RE, exact_enterprise, record_args
from handlers.reports.digest import drill_kinds_text, scopes_text
from handlers.util import pick_enterprise
from storage.enums import DrillKind
from storage.models import Enterprise, Person

router = Router("drills")

DAYS_RE = re.compile(r"(?:为期|共|培训)?(\d+(?:\.\d+)?|[一两二三四五六七八九十])\s*天")
BAD_COUNT_ENDINGS = ("人", "人次", "名")
BAD_COUNT_WORDS = ("许多", "很多", "若干", "多名", "数十", "上百")  # a count in words: ask for the number
PLACE_LABEL_RE = re.compile(r"(?:地点|位置)[:：]?")


def _positive(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 1_000_000 else None


def _count_word(word: str) -> int | None:
    """Read one word as a count of people (45, 45人, 60人次); None when it is not one."""
    m = COUNT_RE.fullmatch(word)
    return _positive(m[1]) if m else None


def _where(enterprises: list[Enterprise], park_wide: bool) -> str:
    if park_wide:
        return T.PARK_WIDE
    if len(enterprises) <= 5:
        return "、".join(e.name for e in enterprises)
    return f"{enterprises[0].name}等 {len(enterprises)} 家企业"


def _days_text(days: float | None) -> str:
    return T.TRAINING_DAYS.format(days=f"{days:g}") if days else ""


def _scope_text(external: bool | None) -> str:
    if external is None:
        return T.TRAINING_SCOPE_UNSAID
    return T.TRAINING_EXTERNAL if external else T.TRAINING_INTERNAL


async def _near_enterprise(session: AsyncSession, words: list[str], usage: str) -> Reply | None:
    """Return the reply offering the enterprise one of `words` nearly names, if any does."""
    for word in words:
        if await park_queries.match_enterprises(session, word):
            near = await pick_enterprise(session, word, button=None)
            if isinstance(near, Reply):
                return Reply(text=f"{near.text}\n{usage}")
    return None


# --- /drill -------------------------------------------------------------------------------------


NAME_WORDS = ("演练", "演习", "培训")  # the word of a /drill that is its name


@router.command("drill", perm=Perm.REPORTS, help_text=T.REPORT_HELP["drill"])
async def drill(
    msg: Incoming, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Record a drill: day, name (its kind is read from it), enterprise or the whole park, place, people.

    A training written here (/drill 今天 安全培训 华油 45) is recorded as a training."""
    return await record_drill(msg.args, session=session, settings=settings, actor=actor, now=now)


async def record_drill(
    args: str, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime, backfilled: bool = False
) -> Reply:
    """Record a drill (or a training written as one) from the words of /drill (`backfilled`: 补录)."""
    mark = T.BACKFILL_MARK if backfilled else ""
    parsed = record_args(args, settings.park.day(now), T.DRILL_USAGE, T.DRILL_BAD_DATE)
    if isinstance(parsed, Reply):
        return parsed
    day, words = parsed
    # The name is the word that says 演练/演习/培训, wherever people put it (华油 二车间 消防演练 45人);
    # without one, the first word, which must then name a drill kind.
    named = next((i for i, w in enumerate(words) if any(k in w for k in NAME_WORDS)), 0)
    title = words[named][:100]
    training = is_training(title)
    if not training and not is_drill(title):
        return Reply(text=T.DRILL_BAD_KIND.format(text=title[:20]))
    rest = words[:named] + words[named + 1 :]
    if len(rest) > 1 and rest[-1] in COUNT_UNITS:  # 120 人
        rest = rest[:-1]
    participants = _count_word(rest[-1]) if len(rest) > 1 else None
    if participants is not None:
        rest = rest[:-1]
    elif len(rest) > 1 and (
        rest[-1].isdigit()
        or rest[-1].endswith(BAD_COUNT_ENDINGS)
        or any(w in rest[-1] for w in BAD_COUNT_WORDS)
    ):
        return Reply(text=T.DRILL_BAD_COUNT.format(text=rest[-1][:20]))
    enterprise: Enterprise | None = None
    park_wide = False
    place_words: list[str] = []
    for word in rest:
        if not park_wide and enterprise is None and word in T.PARK_WIDE_WORDS:
            park_wide = True
        elif not park_wide and enterprise is None and (found := await exact_enterprise(session, word)):
            enterprise = found
        else:
            place_words.append(word)
    if enterprise is None and not park_wide:
        picked = await pick_enterprise(session, rest[0], button=None)
        assert isinstance(picked, Reply)  # an exact name was taken above
        return Reply(text=f"{picked.text}\n{T.DRILL_USAGE}")
    place = PLACE_LABEL_RE.sub("", " ".join(place_words), count=1).strip()[:100] or None
    where = enterprise.name if enterprise else T.PARK_WIDE
    people = T.DRILL_PEOPLE.format(count=participants) if participants else ""
    year = (date(day.year, 1, 1), date(day.year, 12, 31))
    if training:
        ids = [enterprise.id] if enterprise else [e.id for e in await park_queries.list_enterprises(session)]
        await report_ops.record_training(
            session,
            day=day,
            title=" ".join([title, *place_words])[:100],
            organiser=None,
            external=None,
            days=None,
            park_wide=park_wide,
            enterprise_ids=ids,
            person_times=participants,
            actor=actor,
            at=now,
            backfilled=backfilled,
        )
        f = await report_queries.summary_figures(session, *year, settings.park.tz, now)
        text = mark + T.DRILL_AS_TRAINING.format(
            day=day.isoformat(), title=title, where=where, people=people, count=f.trainings
        )
        return Reply(text=text)
    row = await report_ops.record_drill(
        session,
        day=day,
        title=title,
        enterprise_id=enterprise.id if enterprise else None,
        place=place,
        participants=participants,
        actor=actor,
        at=now,
        backfilled=backfilled,
    )
    f = await report_queries.summary_figures(session, *year, settings.park.tz, now)
    return Reply(
        text=mark
        + T.DRILL_DONE.format(
            kind=T.DRILL_KIND_NAMES[row.drill_kind],
            day=day.isoformat(),
            title=title,
            where=where,
            place=T.DRILL_PLACE.format(place=place) if place else "",
            people=people,
            count=f.drills,
        )
    )


# --- /training ----------------------------------------------------------------------------------


@dataclass
class TrainingWords:
    """What the words of a /training say, before the enterprises are looked up."""

    organiser: str | None = None
    external: bool | None = None
    days: float | None = None
    person_times: int | None = None
    park_wide: bool = False
    other: list[str] = field(default_factory=list)  # the title, the organiser, enterprises


def _organiser_label(word: str) -> str | None:
    """Return what follows a 主办： label in a word ('' when the label stands alone), None without one."""
    for label in T.TRAINING_ORGANISER_LABELS:
        if word.startswith(label):
            return word[len(label) :].lstrip(":：")
    return None


def _days(word: str) -> float | str | None:
    """Read a number of days (2天, 两天, 半天, 为期2天); None when the word is not one, 'bad' when it is
    one that cannot be (0天)."""
    if word in T.HALF_DAY_WORDS:
        return 0.5
    if not (m := DAYS_RE.fullmatch(word)):
        return None
    value = float(T.CHINESE_NUMBERS[m[1]]) if m[1] in T.CHINESE_NUMBERS else float(m[1])
    return value if 0 < value <= 365 else "bad"


def read_training_words(words: list[str]) -> TrainingWords | Reply:
    """Sort the words of a /training after its day: labelled organiser, 外部/内部, days, person-times,
    全园区; the rest (title, organiser, enterprises) kept in order."""
    t = TrainingWords()
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if (label := _organiser_label(word)) is not None and (label or nxt):
            t.organiser = (label or nxt or "")[:100]
            i += 1 if label else 2
            continue
        if word in T.TRAINING_EXTERNAL_WORDS or word in T.TRAINING_INTERNAL_WORDS:
            external = word in T.TRAINING_EXTERNAL_WORDS
            if t.external is not None and t.external != external:
                return Reply(text=T.TRAINING_TWO_SCOPES)
            t.external = external
        elif word in T.PARK_WIDE_WORDS:
            t.park_wide = True
        elif (days := _days(word)) is not None:
            if days == "bad":
                return Reply(text=T.TRAINING_BAD_DAYS.format(text=word[:20]))
            t.days = float(days)
        elif nxt == "天" and (days := _days(word + nxt)) is not None and days != "bad":  # 2 天
            t.days = float(days)
            i += 1
        elif t.person_times is None and (n := _count_word(word)) is not None:
            t.person_times = n
            if nxt in COUNT_UNITS and word.isdigit():  # 60 人次
                i += 1
        else:
            t.other.append(word)
        i += 1
    return t


def title_and_organiser(other: list[str], organiser: str | None) -> tuple[str, str | None]:
    """Split the words that are no enterprise into the title and the organiser: a labelled organiser
    leaves them all to the title; otherwise a later word written as an office (…局, …中心) is the organiser."""
    if organiser is not None or len(other) < 2:
        return " ".join(other), organiser
    for i in range(len(other) - 1, 0, -1):
        word = other[i]
        if word.endswith(T.TRAINING_ORGANISER_ENDINGS) and "培训" not in word:
            return " ".join(other[:i] + other[i + 1 :]), word
    return " ".join(other), None


@router.command("training", perm=Perm.REPORTS, help_text=T.REPORT_HELP["training"])
async def training(
    msg: Incoming, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime
) -> Reply:
    """Record a training: day, title, organiser, external or internal, days, enterprises, person-times."""
    return await record_training(msg.args, session=session, settings=settings, actor=actor, now=now)


async def record_training(
    args: str, *, session: AsyncSession, settings: Settings, actor: Person, now: datetime, backfilled: bool = False
) -> Reply:
    """Record a training from the words of /training (`backfilled`: 补录)."""
    parsed = record_args(args, settings.park.day(now), T.TRAINING_USAGE, T.TRAINING_BAD_DATE)
    if isinstance(parsed, Reply):
        return parsed
    day, words = parsed
    t = read_training_words(words)
    if isinstance(t, Reply):
        return t
    chosen: list[Enterprise] = []
    rest: list[str] = []
    for word in t.other:
        found = await exact_enterprise(session, word)
        if found is None:
            rest.append(word)
        elif found not in chosen:
            chosen.append(found)
    title, organiser = title_and_organiser(rest, t.organiser)
    if not title:
        return Reply(text=T.TRAINING_NO_TITLE)
    if not chosen and not t.park_wide:
        near = await _near_enterprise(session, rest[1:] or rest, T.TRAINING_USAGE)
        return near or Reply(text=T.TRAINING_NO_ENTERPRISE)
    if t.person_times is None:
        return Reply(text=T.TRAINING_NO_COUNT)
    if t.park_wide:
        chosen = list(await park_queries.list_enterprises(session))
    days = t.days or 1.0
    await report_ops.record_training(
        session,
        day=day,
        title=title[:100],
        organiser=organiser,
        external=t.external,
        days=days,
        park_wide=t.park_wide,
        enterprise_ids=[e.id for e in chosen],
        person_times=t.person_times,
        actor=actor,
        at=now,
        backfilled=backfilled,
    )
    f = await report_queries.summary_figures(
        session, date(day.year, 1, 1), date(day.year, 12, 31), settings.park.tz, now
    )
    return Reply(
        text=(T.BACKFILL_MARK if backfilled else "")
        + T.TRAINING_DONE.format(
            day=day.isoformat(),
            title=title[:100],
            organiser=T.TRAINING_ORGANISER.format(organiser=organiser) if organiser else "",
            scope=_scope_text(t.external),
            days=_days_text(days),
            enterprises=_where(chosen, t.park_wide),
            person_times=t.person_times,
            count=f.trainings,
            year_people=f.training_people,
        )
    )


# --- /drills and /trainings ---------------------------------------------------------------------


def _year(msg: Incoming, today: date, command: str) -> int | Reply:
    arg = clean_text(msg.args, 20)
    if not arg:
        return today.year
    if (m := YEAR_RE.fullmatch(arg)) and 2000 <= int(m[1]) <= 2100:
        return int(m[1])
    return Reply(text=T.RECORDS_BAD_YEAR.format(text=arg[:20], command=command))


def _more(lines: list[str]) -> list[str]:
    if len(lines) <= T.RECORDS_LIST_LIMIT:
        return lines
    return [*lines[: T.RECORDS_LIST_LIMIT], T.RECORDS_MORE.format(count=len(lines) - T.RECORDS_LIST_LIMIT)]


@router.command("drills", perm=Perm.REPORTS, help_text=T.REPORT_HELP["drills"], read_only=True)
async def drills(msg: Incoming, *, session: AsyncSession, settings: Settings, now: datetime) -> Reply:
    """List a year's drills (default this year) with their kinds."""
    year = _year(msg, settings.park.day(now), "drills")
    if isinstance(year, Reply):
        return year
    rows = await report_queries.drills_between(session, date(year, 1, 1), date(year, 12, 31))
    if not rows:
        return Reply(text=T.DRILLS_NONE.format(year=year))
    kinds: dict[DrillKind, int] = {}
    for d, _ in rows:
        kinds[d.drill_kind] = kinds.get(d.drill_kind, 0) + 1
    title = T.DRILLS_TITLE.format(
        year=year,
        count=len(rows),
        people=sum(d.participants or 0 for d, _ in rows),
        kinds=drill_kinds_text(kinds),
    )
    lines = [
        T.DRILLS_LINE.format(
            n=n,
            day=d.day.isoformat(),
            title=d.title,
            kind=T.DRILL_KIND_NAMES[d.drill_kind],
            where=name or T.PARK_WIDE,
            place=T.DRILL_PLACE.format(place=d.place) if d.place else "",
            people=T.DRILL_PEOPLE.format(count=d.participants) if d.participants else "",
        )
        + (T.BACKFILL_TAG if d.backfilled_at else "")
        for n, (d, name) in enumerate(rows, 1)
    ]
    return Reply(text="\n".join([title, *_more(lines)]))


@router.command("trainings", perm=Perm.REPORTS, help_text=T.REPORT_HELP["trainings"], read_only=True)
async def trainings(msg: Incoming, *, session: AsyncSession, settings: Settings, now: datetime) -> Reply:
    """List a year's trainings (default this year)."""
    year = _year(msg, settings.park.day(now), "trainings")
    if isinstance(year, Reply):
        return year
    rows = await report_queries.trainings_between(session, date(year, 1, 1), date(year, 12, 31))
    if not rows:
        return Reply(text=T.TRAININGS_NONE.format(year=year))
    external = sum(1 for t, _ in rows if t.external is True)
    internal = sum(1 for t, _ in rows if t.external is False)
    title = T.TRAININGS_TITLE.format(
        year=year,
        count=len(rows),
        people=sum(t.person_times or 0 for t, _ in rows),
        scopes=scopes_text(external, internal),
    )
    lines = []
    for n, (t, names) in enumerate(rows, 1):
        where = (
            T.PARK_WIDE
            if t.park_wide
            else ("、".join(names) if len(names) <= 5 else f"{names[0]}等 {len(names)} 家企业")
        )
        lines.append(
            T.TRAININGS_LINE.format(
                n=n,
                day=t.day.isoformat(),
                title=t.title,
                organiser=T.TRAINING_ORGANISER.format(organiser=t.organiser) if t.organiser else "",
                scope=_scope_text(t.external),
                days=_days_text(t.days),
                enterprises=where,
                people=T.TRAININGS_PEOPLE.format(count=t.person_times) if t.person_times else "",
            )
            + (T.BACKFILL_TAG if t.backfilled_at else "")
        )
    return Reply(text="\n".join([title, *_more(lines)]))
