"""Hazards, reading side: one hazard's detail (card, history, photos, documents), the `/hazards` lists a
page at a time (下一页), and `/search`.

Which hazards a person may see is the domain's answer (`domain/hazards/rules.py` `view_scope`,
`domain/park/rules.py` `may_view_enterprise`); the lists' SQL, overdue included, is in
`domain/hazards/queries.py`. `/hazard YH-…` (in `report.py`) shows a detail through `detail` here; the
card itself is drawn by `card.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, ButtonPress, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import Action, sees_whole_park, view_scope
from domain.hazards.search import COUNT_CAP, over_cap
from domain.park import queries as park_queries
from domain.park.rules import Perm, may_view_enterprise
from handlers import texts as T
from handlers.hazards.card import (
    FIVE_NAMES,
    LIST_STATUS_CODES,
    HazardListButton,
    build_card,
    fmt_size,
    not_found,
)
from handlers.hazards.todo import hazard_line, list_buttons
from handlers.util import fmt_date, fmt_time, own_enterprise, pick_enterprise, refuse, short
from storage.enums import HazardStatus
from storage.models import Enterprise, Hazard, HazardEvent, Person

router = Router("hazard_view")

# --- one hazard's detail ---------------------------------------------------------------------


async def detail(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime, code: str
) -> list[Reply]:
    """Show a hazard's card, its whole story, and its before and after photos, each group labelled."""
    hazard = await hazard_queries.hazard_by_code(session, code)
    if hazard is None:
        return [not_found(code)]
    if not may_view_enterprise(actor, hazard.enterprise_id):
        return [Reply(text=T.HAZARD_VIEW_NOT_OWN.format(enterprise=own_enterprise(actor)))]
    lines = [T.HAZARD_HISTORY]
    for e in await hazard_queries.events_of(session, hazard.id):
        if e.action == Action.SEAL:  # the ledger's own bookkeeping, not something that happened to the hazard
            continue
        said = [part for part in (_event_detail(e), e.note) if part]
        if (e.data or {}).get("backfill"):  # entered from paper records: say so, and when it was entered
            entered = datetime.fromisoformat(e.data["recorded_at"]) if e.data.get("recorded_at") else None
            said.append(T.BACKFILL_EVENT.format(at=fmt_time(entered, settings.park.tz)) if entered else T.BACKFILL_TAG)
        lines.append(
            T.HAZARD_EVENT_LINE.format(
                at=fmt_time(e.at, settings.park.tz),
                actor=e.actor.display_name if e.actor else T.SYSTEM_ACTOR,
                action=T.EVENT_NAMES.get(e.action, e.action),
                note=f"：{'；'.join(said)}" if said else "",
            )
        )
    root = settings.storage.photo_dir
    photos = await hazard_queries.hazard_photos(session, hazard.id)
    # A one-off view under its own key: no buttons, never edited, and a reply to it is a reply to a
    # card (so it is not taken for the answer to an open question); the group keeps one live card.
    live = await build_card(session, hazard, settings, now)
    card = replace(live, key=f"view:{live.key}", actions=(), audience=())
    replies = [Reply(card=card), Reply(text="\n".join(lines))]
    for phase in ("before", "after"):
        paths = tuple(root / p.path for ph, p in photos if ph == phase)
        if paths:  # a text line, then its album: people see which photos are 整改前 and which 整改后
            label = T.DETAIL_PHOTOS.format(phase=T.PHASE_NAMES[phase], count=len(paths))
            replies.append(Reply(text=label, photos=paths))
    documents = await hazard_queries.hazard_documents(session, hazard.id)
    if documents:  # a line per document with its name and size, then the files themselves
        listed = [T.DETAIL_DOCUMENTS.format(count=len(documents))]
        listed += [
            T.DETAIL_DOCUMENT_LINE.format(phase=T.PHASE_NAMES[ph], name=d.file_name, size=fmt_size(d.size))
            for ph, d in documents
        ]
        # A file lost from disk (`safetybot storage check` reports it) is listed but not sent.
        kept = [(root / d.path, d.file_name) for _, d in documents if (root / d.path).is_file()]
        replies.append(
            Reply(
                text="\n".join(listed),
                documents=tuple(path for path, _ in kept),
                document_names=tuple(name for _, name in kept),
            )
        )
    return replies


def _event_detail(event: HazardEvent) -> str:
    """Say what an event set, from its data: the date, the level, the category, the values, the photos."""
    data = event.data or {}
    match event.action:
        case Action.REPORT:
            level = T.LEVEL_NAMES.get(data.get("level") or "", "")
            category = T.CATEGORY_NAMES.get(data.get("category") or "", data.get("category") or "")
            text = T.EVENT_REPORT_DETAIL.format(level=level, category=category) if level and category else ""
            due = _day(data.get("due_date"))
            return text + (T.EVENT_DUE_DETAIL.format(due=due) if due else "")
        case Action.SET_DUE:
            return _day(data.get("due_date")) or T.MODE_NAMES["immediate"]
        case Action.SET_LEVEL:
            return T.LEVEL_NAMES.get(data.get("level") or "", "")
        case Action.SET_CATEGORY:
            return T.CATEGORY_NAMES.get(data.get("category") or "", data.get("category") or "")
        case Action.FIVE:
            items = [(name, data.get(key)) for key, name in FIVE_NAMES.items()]
            return "，".join(T.EVENT_FIVE_ITEM.format(name=name, value=value) for name, value in items if value)
        case Action.PHOTOS:
            phase = T.PHASE_NAMES.get(data.get("phase") or "")
            return T.EVENT_PHOTOS_DETAIL.format(phase=phase, count=data.get("count", 0)) if phase else ""
        case Action.DOCUMENTS:
            phase = T.PHASE_NAMES.get(data.get("phase") or "")
            return T.EVENT_DOCUMENTS_DETAIL.format(phase=phase, count=data.get("count", 0)) if phase else ""
        case Action.CHANGE_DUE | Action.EXTEND_ASK | Action.EXTEND_APPROVE:
            return T.EVENT_FROM_TO.format(old=_day(data.get("from")) or T.NONE, new=_day(data.get("to")))
        case Action.EXTEND_REFUSE:
            return T.EVENT_EXTEND_REFUSED.format(asked=_day(data.get("asked")), kept=_day(data.get("from")))
        case Action.EDIT | Action.SET_LOCATION:
            old = short(str(data.get("from") or "")) or T.NONE
            return T.EVENT_FROM_TO.format(old=old, new=short(str(data.get("to") or "")))
        case Action.WITHDRAW if data.get("duplicate_of"):
            return T.EVENT_DUPLICATE_OF.format(code=data["duplicate_of"])
    return ""


def _day(raw: object) -> str:
    """Format an ISO date from an event's data with its weekday ("" when there is none)."""
    try:
        return fmt_date(date.fromisoformat(str(raw))) if raw else ""
    except ValueError:
        return str(raw)


# --- lists -----------------------------------------------------------------------------------


PAGE_SIZE = 30
PAGE_RE = re.compile(r"第\s*(\d{1,4})\s*页")
MONTH_RE = re.compile(r"(\d{4})(?:-|年)(\d{1,2})月?")
STATUS_WORDS = {name: status for status, name in T.STATUS_NAMES.items()}
LEVEL_WORDS = {"重大": "major", "重大隐患": "major", "一般": "general", "一般隐患": "general"}
CATEGORY_WORDS = {name: key for key, name in T.CATEGORY_NAMES.items()}
STATUS_BY_CODE = {code: status for status, code in LIST_STATUS_CODES.items()}


@dataclass(frozen=True)
class ListQuery:
    """What `/hazards` words (or a 下一页 button) ask for; None and False leave the default."""

    status: str | None = None
    level: str | None = None
    category: str | None = None
    month: tuple[int, int] | None = None  # (year, month), by the day found in the park
    overdue: bool = False
    mine: bool = False
    enterprise: Enterprise | None = None
    page: int = 1

    def button(self, page: int) -> HazardListButton:
        """Return the typed button that shows another page of this list."""
        flags = ("o" if self.overdue else "") + ("m" if self.mine else "")
        return HazardListButton(
            page=page,
            enterprise_id=self.enterprise.id if self.enterprise else 0,
            status=LIST_STATUS_CODES[self.status] if self.status else "-",
            level="major" if self.level == "major" else "general" if self.level else "-",
            category=self.category or "-",
            month=self.month[0] * 100 + self.month[1] if self.month else 0,
            flags="om" if flags == "om" else "o" if flags == "o" else "m" if flags == "m" else "-",
        )

    def words(self, page: int) -> str:
        """Return the `/hazards` command that shows another page of this list."""
        words = [
            self.enterprise.name if self.enterprise else "",
            T.STATUS_NAMES[self.status] if self.status else "",
            "重大" if self.level == "major" else "一般" if self.level else "",
            T.CATEGORY_NAMES[self.category] if self.category else "",
            f"{self.month[0]}-{self.month[1]:02d}" if self.month else "",
            "逾期" if self.overdue else "",
            "我的" if self.mine else "",
            f"第{page}页",
        ]
        return "/hazards " + " ".join(w for w in words if w)


def _month_of(word: str, today: date) -> tuple[int, int] | None:
    """Read 本月, 上月, `2026-11` or `2026年11月` as (year, month); None for any other word."""
    if word == T.HAZARDS_WORD_THIS_MONTH:
        return today.year, today.month
    if word == T.HAZARDS_WORD_LAST_MONTH:
        return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    match = MONTH_RE.fullmatch(word)
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    return None


async def _list_query(session: AsyncSession, text: str, today: date) -> ListQuery | Reply:
    """Read `/hazards` words in any order; what no word names is taken as an enterprise."""
    found: dict[str, Any] = {}
    rest: list[str] = []
    text = PAGE_RE.sub(lambda m: f" 第{m.group(1)}页 ", text)
    for word in text.split():
        page = PAGE_RE.fullmatch(word)
        month = _month_of(word, today)
        if word.lower() in ("overdue", "逾期"):
            found["overdue"] = True
        elif word.lower() in ("mine", "我的"):
            found["mine"] = True
        elif word in STATUS_WORDS:
            found["status"] = STATUS_WORDS[word]
        elif word in LEVEL_WORDS:
            found["level"] = LEVEL_WORDS[word]
        elif word in CATEGORY_WORDS:
            found["category"] = CATEGORY_WORDS[word]
        elif month is not None:
            found["month"] = month
        elif page is not None:
            found["page"] = max(1, int(page.group(1)))
        else:
            rest.append(word)
    if rest:
        unscoped = ListQuery(**found).button(1)  # a near name is offered as buttons with the other words kept
        picked = await pick_enterprise(
            session, " ".join(rest), button=lambda eid: replace(unscoped, enterprise_id=eid)
        )
        if isinstance(picked, Reply):
            return picked
        found["enterprise"] = picked
    return ListQuery(**found)


def _list_title(q: ListQuery) -> str:
    """Return the list's title: the old titles for the old single forms, else the filters joined."""
    only = {k for k, v in vars(q).items() if v and k != "page"}
    if not only:
        return T.HAZARDS_TITLE_OPEN
    if only == {"overdue"}:
        return T.HAZARDS_TITLE_OVERDUE
    if only == {"mine"}:
        return T.HAZARDS_TITLE_MINE
    if only == {"enterprise"} and q.enterprise is not None:
        return T.HAZARDS_TITLE_ENTERPRISE.format(enterprise=q.enterprise.name)
    parts = [
        q.enterprise.name if q.enterprise else "",
        T.HAZARDS_FILTER_MINE if q.mine else "",
        T.HAZARDS_FILTER_MONTH.format(year=q.month[0], month=q.month[1]) if q.month else "",
        T.LEVEL_NAMES[q.level] if q.level else "",
        T.CATEGORY_NAMES[q.category] if q.category else "",
        T.HAZARDS_FILTER_OVERDUE if q.overdue else "",
        T.STATUS_NAMES[q.status] if q.status else T.HAZARDS_FILTER_OPEN if _open_only(q) else "",
    ]
    return T.HAZARDS_TITLE_FILTERED.format(filters="、".join(p for p in parts if p))


def _open_only(q: ListQuery) -> bool:
    """Tell whether a list without a status word shows open hazards only (mine and a month show all)."""
    return q.status is None and not q.mine and q.month is None


def _list_filter(q: ListQuery, actor: Person, settings: Settings, today: date) -> hazard_queries.HazardFilter:
    """Turn what was asked into the ledger's filter, within what the person may view."""
    tz = settings.park.tz
    own = view_scope(actor)
    found_from = found_before = None
    if q.month is not None:
        year, month = q.month
        found_from = datetime(year, month, 1, tzinfo=tz).astimezone(UTC)
        found_before = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz).astimezone(UTC)
    statuses: tuple[str, ...] | None = None
    if q.status is not None:
        statuses = (q.status,)
    elif q.month is not None and not q.mine:
        statuses = tuple(s for s in HazardStatus if s != HazardStatus.WITHDRAWN)
    return hazard_queries.HazardFilter(
        enterprise_id=q.enterprise.id if q.enterprise else None if q.mine else own,
        reporter_id=actor.id if q.mine else None,
        overdue_on=today if q.overdue else None,
        open_only=_open_only(q),
        park_tz=tz,
        immediate_grace_days=settings.park.immediate_grace_days,
        statuses=statuses,
        level=q.level,
        category=q.category,
        found_from=found_from,
        found_before=found_before,
    )


@router.command("hazards", perm=Perm.VIEW, help_text=T.HELP["hazards"], read_only=True)
async def list_hazards(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """List hazards by status, level, category, month found, overdue, mine or enterprise, a page at a time."""
    today = settings.park.day(now)
    q = await _list_query(session, clean_text(msg.args, 200), today)
    if isinstance(q, Reply):
        return q
    return await _hazard_list(session, actor, settings, now, q)


@router.button(HazardListButton, perm=Perm.VIEW)
async def list_page_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: HazardListButton,
) -> HandlerResult:
    """Show the page of a hazard list a 下一页 button names."""
    enterprise = None
    if button.enterprise_id:
        enterprise = await park_queries.get_enterprise(session, button.enterprise_id)
        if enterprise is None:
            return await refuse(session, actor, press, now, T.BUTTON_STALE)
    status = STATUS_BY_CODE.get(button.status)
    if (button.status != "-" and status is None) or (
        button.category != "-" and button.category not in T.CATEGORY_NAMES
    ):
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    month = divmod(button.month, 100) if button.month else None
    if month is not None and not 1 <= month[1] <= 12:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    q = ListQuery(
        status=status,
        level=None if button.level == "-" else button.level,
        category=None if button.category == "-" else button.category,
        month=month,
        overdue="o" in button.flags,
        mine="m" in button.flags,
        enterprise=enterprise,
        page=button.page,
    )
    return await _hazard_list(session, actor, settings, now, q)


async def _hazard_list(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime, q: ListQuery
) -> Reply:
    """Render one page of a hazard list, with 下一页 (and its command) when more follow."""
    if q.enterprise is not None and not may_view_enterprise(actor, q.enterprise.id):
        return Reply(text=T.HAZARD_VIEW_NOT_OWN.format(enterprise=own_enterprise(actor)))
    today = settings.park.day(now)
    f = _list_filter(q, actor, settings, today)
    rows, total = await hazard_queries.list_hazards(session, f, limit=PAGE_SIZE, offset=(q.page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if not rows:
        if total:
            return Reply(text=T.HAZARDS_PAGE_BEYOND.format(page=q.page, total=total, pages=pages))
        return Reply(text=T.HAZARDS_EMPTY)
    if pages > 1:
        shown = T.HAZARDS_PAGE.format(page=q.page, pages=pages)
    else:
        shown = T.HAZARDS_SHOWN.format(n=len(rows)) if total > len(rows) else ""
    lines = [T.HAZARDS_HEADER.format(title=_list_title(q), total=total, shown=shown)]
    lines += _hazard_lines(rows, today, settings)
    # The first rows carry the next step the person may take on them (提交整改, 验收通过 / 驳回).
    buttons = await list_buttons(session, rows, actor, settings)
    if q.page < pages:
        buttons += ((Button(T.BTN_NEXT_PAGE, q.button(q.page + 1).pack(), q.words(q.page + 1)),),)
    return Reply(text="\n".join(lines), buttons=buttons)


def _hazard_lines(rows: Sequence[Hazard], today: date, settings: Settings) -> list[str]:
    """Return one line per hazard: code, enterprise, description, status and due date; major ones marked."""
    return [hazard_line(h, today, settings) for h in rows]


@router.command("search", perm=Perm.VIEW, help_text=T.HELP["search"], read_only=True)
async def search(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Find hazards whose description or code holds the words, within what the person may view."""
    words = clean_text(msg.args, 50)
    if not words:
        return Reply(text=T.SEARCH_USAGE)
    scope = view_scope(actor)
    if scope is None and not sees_whole_park(actor):
        return Reply(text=T.SEARCH_NO_ENTERPRISE)
    rows, total = await hazard_queries.search_hazards(session, words, scope, limit=PAGE_SIZE)
    if not rows:
        return Reply(text=T.HAZARDS_EMPTY)
    shown = T.HAZARDS_SHOWN.format(n=len(rows)) if total > len(rows) else ""
    title = T.SEARCH_TITLE.format(words=words)
    if over_cap(total):
        lines = [T.HAZARDS_HEADER_MANY.format(title=title, cap=COUNT_CAP, shown=shown)]
    else:
        lines = [T.HAZARDS_HEADER.format(title=title, total=total, shown=shown)]
    return Reply(text="\n".join(lines + _hazard_lines(rows, settings.park.day(now), settings)))
