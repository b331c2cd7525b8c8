"""The hazard card (one per hazard, rebuilt from the ledger on every change and edited in place),
its typed buttons, and the small helpers the hazard handlers share (`report.py`, `edit.py`,
`view.py`, `rectify.py`, `corrections.py`; `schedules/hazards.py` re-draws cards with `card_reply`).

What the card says is read from `domain/hazards/queries.py` and judged by `domain/hazards/rules.py`
(overdue, five-in-place); refusals (`domain.outcome.Refused`) are put in words by `refusal_text`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import ParkSettings, Settings
from bot.messages import (
    Attachment,
    Audience,
    Button,
    Card,
    CardField,
    CardStatus,
    Incoming,
    Reply,
    clean_text,
)
from bot.questions import Question
from bot.routing import HandlerResult
from domain.codes import normal_code
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import FIVE_KEYS, Action, Refusal, Tell, five_missing_keys, may_do, overdue_since
from domain.outcome import Change, Refused
from handlers import texts as T
from handlers.dates import DueDateError
from handlers.util import PDF_TYPE, Reach, fmt_date, fmt_time, own_enterprise, recipients, short
from storage import attachments as attachment_rows
from storage import cards
from storage.enums import PARK_ROLES, HazardStatus, Level
from storage.models import Document, Hazard, Person, Photo
from storage.photos import side_by_side

logger = logging.getLogger(__name__)
CODE_RE = re.compile(r"^YH-\d{4}-\d{1,6}$", re.IGNORECASE)
DESCRIPTION_LIMIT = 500
CARD_KIND = "hazard"
FIVE_NAMES = {key: T.FIVE_FIELDS[key] for key in FIVE_KEYS}  # the rule's five-in-place keys with their names


# --- buttons: one definition each, drawn by the card and read by the handler ---------------------


@dataclass(frozen=True)
class DueButton(CallbackData, prefix="hzdue"):
    """立即整改 (days 0) or N天内."""

    hazard_id: int
    days: int


@dataclass(frozen=True)
class LevelButton(CallbackData, prefix="hzlvl"):
    """设为重大隐患 / 设为一般隐患: sets the level named, never toggles."""

    hazard_id: int
    level: Level


@dataclass(frozen=True)
class CategoryButton(CallbackData, prefix="hzcat"):
    """更改类别 (no category: show the choices) or one category."""

    hazard_id: int
    category: str | None = None


@dataclass(frozen=True)
class FixButton(CallbackData, prefix="hzfix"):
    """提交整改: ask for the after-photos."""

    hazard_id: int


@dataclass(frozen=True)
class AcceptButton(CallbackData, prefix="hzok"):
    """验收通过."""

    hazard_id: int


@dataclass(frozen=True)
class RejectButton(CallbackData, prefix="hzno"):
    """驳回: ask for the reason."""

    hazard_id: int


@dataclass(frozen=True)
class EnterpriseButton(CallbackData, prefix="hzent"):
    """The enterprise of a draft hazard, picked by the inspector or manager who wrote it (owner_id)."""

    enterprise_id: int
    owner_id: int | None = None  # None on buttons drawn before the owner was recorded


@dataclass(frozen=True)
class ExtendDecideButton(CallbackData, prefix="hzext"):
    """同意 / 不同意 on an extension request sent to the managers; names the request it decides."""

    hazard_id: int
    request_id: int
    decision: Literal["ok", "no"]


@dataclass(frozen=True)
class HazardListButton(CallbackData, prefix="hzls"):
    """下一页 under a hazard list: the list's filter in short codes and the page to show.

    `enterprise_id` 0 is the person's own scope; `status` a code of `LIST_STATUS_CODES`, `-` the
    list's default; `level`, `category`, `month` (yyyymm, 0 none) and `flags` (`o` overdue, `m`
    mine) as `/hazards` words would set them.
    """

    page: int
    enterprise_id: int
    status: str
    level: Literal["-", "general", "major"]
    category: str
    month: int
    flags: Literal["-", "o", "m", "om"]


LIST_STATUS_CODES = {
    "reported": "r",
    "rectifying": "f",
    "awaiting_verification": "v",
    "closed": "c",
    "withdrawn": "w",
}


@dataclass(frozen=True)
class PhotoOfferButton(CallbackData, prefix="hzph"):
    """登记隐患 / 不用了 under the question a private photo without a caption gets."""

    register: Literal["yes", "no"]


@dataclass(frozen=True)
class LocationSkipButton(CallbackData, prefix="hzloc"):
    """跳过 under the question for the location (部位) of a hazard just reported."""

    hazard_id: int


@dataclass(frozen=True)
class HazardLocationAsk(Question, kind="hazard_location", ttl=timedelta(hours=24)):
    """The location (部位) of an inspector's find reported without one; with the album it came in, whose
    other photos it takes as `HazardAlbum` would. Asked once: dropped quietly by the next command."""

    hazard_id: int
    media_group_id: str | None = None

    tell_expiry = False  # the location can be given later with /location; nothing is lost

    def expects(self, msg: Incoming) -> bool:
        """The answer, addressed to the bot, or the rest of the album the hazard was reported with."""
        return msg.addressed or (self.media_group_id is not None and msg.media_group_id == self.media_group_id)


DUE_DAYS = (0, 3, 7, 15)


@dataclass(frozen=True)
class HazardAlbum(Question, kind="hazard_album", ttl=timedelta(minutes=10)):
    """The rest of an album whose first photo registered (or fixed) a hazard (a question)."""

    hazard_id: int
    media_group_id: str
    phase: str

    tell_expiry = False  # nobody was asked for the rest of an album in words

    def expects(self, msg: Incoming) -> bool:
        """Only the rest of this album, addressed to the bot or not (Telegram sends albums as many messages)."""
        return msg.media_group_id == self.media_group_id



def card_key(hazard: Hazard) -> str:
    """Return the card key of a hazard."""
    return f"{CARD_KIND}:{hazard.id}"


def refusal_text(exc: Refused, actor: Person) -> str:
    """Say, in the person's words, why a domain operation was refused."""
    hazard = exc.subject
    code = hazard.code if hazard is not None else ""
    match exc.reason:
        case Refusal.OWN_FIX:
            return T.VERIFY_OWN_FIX
        case Refusal.NOT_MAJOR:
            return T.FIVE_NOT_MAJOR.format(code=code)
        case Refusal.ENTERPRISE_INACTIVE:
            return T.HAZARD_ENTERPRISE_INACTIVE
        case Refusal.FIVE_INCOMPLETE if hazard is not None:
            return T.ACCEPT_FIVE_MISSING.format(code=code, missing="、".join(five_missing(hazard)))
        case Refusal.MODE_SET if hazard is not None:
            shown = fmt_date(hazard.due_date) if hazard.due_date else T.MODE_NAMES["immediate"]
            return T.DUE_ALREADY_SET.format(code=code, due=shown)
        case Refusal.WRONG_STATUS if hazard is not None:
            return T.STATE_CHANGED.format(code=code, status=T.STATUS_NAMES[hazard.status])
        case Refusal.MAJOR_DOWNGRADE:
            return T.LEVEL_DOWNGRADE_REFUSED.format(code=code)
        case Refusal.RECHECK_OFF:
            return T.RECHECK_OFF
        case Refusal.NOT_FINDER:
            return T.RECHECK_NOT_FINDER.format(code=code)
        case _:
            return T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=own_enterprise(actor))


def hazard_id_of(card_key: str | None) -> int | None:
    """Return the hazard id named by a card key: a hazard card, or the one-off detail view of one."""
    if card_key is not None:  # a one-off detail view, or a message about the card (a prompt, a notice)
        card_key = card_key.removeprefix("view:").removeprefix("about:")
    if not card_key or not card_key.startswith(f"{CARD_KIND}:"):
        return None
    tail = card_key.split(":", 1)[1]
    return int(tail) if tail.isdigit() else None


def five_missing(hazard: Hazard) -> list[str]:
    """Return the Chinese names of the five-in-place fields still missing on a major hazard."""
    return [FIVE_NAMES[key] for key in five_missing_keys(hazard)]


def status_text(hazard: Hazard, today: date, park: ParkSettings | None = None) -> str:
    """Return the status as people read it, with 已逾期 N 天 when a deadline or an immediate fix is late."""
    text = T.STATUS_NAMES[hazard.status]
    park = park or ParkSettings()
    since = overdue_since(hazard, today, park.tz, park.immediate_grace_days)
    if since is not None:
        text += "，" + T.OVERDUE.format(days=(today - since).days)
    return text


async def build_card(session: AsyncSession, hazard: Hazard, settings: Settings, now: datetime) -> Card:
    """Build the card for a hazard's current state, with the buttons for what can happen next."""
    tz = settings.park.tz
    today = settings.park.day(now)
    photos = await hazard_queries.hazard_photos(session, hazard.id)
    before = [p for phase, p in photos if phase == "before"]
    after = [p for phase, p in photos if phase == "after"]
    fields: list[CardField] = [
        CardField("enterprise", T.F_ENTERPRISE, hazard.enterprise.name),
        CardField("description", T.F_DESCRIPTION, hazard.description),
        *([CardField("location", T.F_LOCATION, hazard.location)] if hazard.location else []),
        CardField("category", T.F_CATEGORY, T.CATEGORY_NAMES.get(hazard.category, hazard.category)),
        CardField("level", T.F_LEVEL, T.LEVEL_NAMES[hazard.level]),
        CardField("mode", T.F_MODE, T.MODE_NAMES.get(hazard.mode, T.MODE_NAMES[None])),
    ]
    if hazard.due_date is not None:
        fields.append(CardField("due", T.F_DUE, fmt_date(hazard.due_date)))
    if hazard.level == Level.MAJOR:
        missing = five_missing(hazard)
        five = T.FIVE_MISSING.format(missing="、".join(missing)) if missing else T.FIVE_DONE
        fields.append(CardField("five", T.F_FIVE, five))
        fields += [
            CardField(f"five_{key}", name, hazard.five_in_place[key])
            for key, name in FIVE_NAMES.items()
            if hazard.five_in_place.get(key)
        ]
    source = T.SOURCE_NAMES.get(hazard.source, hazard.source)
    fields += [
        CardField("reporter", T.F_REPORTER, f"{hazard.reporter.display_name}（{source}）"),
        CardField("found", T.F_FOUND, fmt_time(hazard.found_at, tz)),
        CardField("photos", T.F_PHOTOS, T.PHOTOS_COUNT.format(before=len(before), after=len(after))),
    ]
    documents = await hazard_queries.hazard_documents(session, hazard.id)
    if documents:  # only when there are any: most hazards have photos alone
        phases = [phase for phase, _ in documents]
        counted = T.DOCUMENTS_COUNT.format(before=phases.count("before"), after=phases.count("after"))
        fields.append(CardField("documents", T.F_DOCUMENTS, counted))
    shown, sides = await card_photos(settings.storage.photo_dir, before, after)
    if sides:
        fields.append(CardField("photo_sides", T.F_PHOTO_SIDES, T.PHOTO_SIDES))
    last = await hazard_queries.last_events(session, hazard.id, ("fix", "reject", "accept", "unfix"))
    fix, reject, accept = last.get("fix"), last.get("reject"), last.get("accept")
    unfix = last.get("unfix")
    if fix is not None and unfix is not None and unfix.id > fix.id:
        fix = None  # taken back by its submitter: no longer the rectification on the card
    if fix is not None and fix.note:
        fields.append(CardField("fix", T.F_FIX, fix.note))
    if reject is not None and hazard.status == HazardStatus.RECTIFYING and (fix is None or reject.id > fix.id):
        fields.append(CardField("reject", T.F_REJECT, reject.note or ""))
    fixer = fix.actor_id if fix is not None else None
    if hazard.status == HazardStatus.CLOSED and accept is not None:
        who = accept.actor.display_name if accept.actor else T.SYSTEM_ACTOR
        fields.append(CardField("verified", T.F_VERIFIED, T.VERIFIED_BY.format(name=who, at=fmt_time(accept.at, tz))))
    card = Card(
        key=card_key(hazard),
        kind=CARD_KIND,
        title=T.HAZARD_CARD_TITLE.format(code=hazard.code),
        fields=tuple(fields),
        status=CardStatus(hazard.status.value, status_text(hazard, today, settings.park), T.F_STATUS),
        photos=shown,
        actions=actions(hazard),
    )
    # Whoever has (or gets) the card in their private chat sees only the buttons they may press there.
    audience = await cards.card_audience(session, card.key, hazard.enterprise_id, PARK_ROLES)
    return for_people(card, hazard, audience, fixer, rechecks=settings.park.inspector_recheck)


async def card_photos(root: Path, before: list[Photo], after: list[Photo]) -> tuple[tuple[Path, ...], bool]:
    """Return the card's picture, and whether it is the first before- and after-photo side by side.

    The side-by-side JPEG is made once, in a worker thread, and cached under the photo directory; when
    it cannot be made (a photo file is missing or unreadable, the disk is full) the card shows the
    before-photo alone.
    """
    if not before:
        return (), False
    first = root / before[0].path
    if not after:
        return (first,), False
    try:
        both = await asyncio.to_thread(
            side_by_side, root, first, before[0].sha256, root / after[0].path, after[0].sha256
        )
    except Exception as exc:  # Pillow's decoders raise many kinds of errors; the card must still go out
        logger.warning(
            "before/after picture of photos %s and %s not made: %s", before[0].id, after[0].id, exc
        )
        return (first,), False
    return (both,), True


Allow = Callable[[Action, Level | None], bool]  # may this be pressed (the action, the level a button sets)


def actions(hazard: Hazard, allow: Allow | None = None) -> tuple[tuple[Button, ...], ...]:
    """Return the buttons for what can happen next to a hazard, each with its command equivalent.

    Without `allow`, every button (a group's card: each press is checked anyway); with it, only those
    it allows (a person's own copy, a line of their lists: `actions_for`).
    """
    i, code = hazard.id, hazard.code
    ok: Allow = allow or (lambda action, level: True)
    if hazard.status in (HazardStatus.CLOSED, HazardStatus.WITHDRAWN):
        return ()
    if hazard.status == HazardStatus.AWAITING_VERIFICATION:
        row = (
            Button(T.BTN_ACCEPT, AcceptButton(i).pack(), f"/accept {code}") if ok(Action.ACCEPT, None) else None,
            Button(T.BTN_REJECT_FIX, RejectButton(i).pack(), f"/reject {code} <原因>") if ok(Action.REJECT, None) else None,
        )
        return _rows([row])
    other = Level.GENERAL if hazard.level == Level.MAJOR else Level.MAJOR
    label = T.BTN_GENERAL if other == Level.GENERAL else T.BTN_MAJOR
    level = Button(label, LevelButton(i, other).pack(), f"/level {code} {T.LEVEL_WORDS_OUT[other]}")
    rows: list[tuple[Button | None, ...]] = []
    if hazard.mode is None and ok(Action.SET_DUE, None):  # no way of rectifying chosen yet
        rows.append(
            (
                Button(T.BTN_IMMEDIATE, DueButton(i, 0).pack(), f"/due {code} 立即整改"),
                *(
                    Button(T.BTN_DAYS.format(days=d), DueButton(i, d).pack(), f"/due {code} {d}天内")
                    for d in DUE_DAYS[1:]
                ),
            )
        )
    if ok(Action.FIX, None):
        rows.append((Button(T.BTN_FIX, FixButton(i).pack(), f"/fix {code} <整改情况>"),))
    category = Button(T.BTN_CATEGORY, CategoryButton(i).pack(), f"/category {code} <类别>")
    rows.append((level if ok(Action.SET_LEVEL, other) else None, category if ok(Action.SET_CATEGORY, None) else None))
    return _rows(rows)


def _rows(rows: list[tuple[Button | None, ...]]) -> tuple[tuple[Button, ...], ...]:
    """Drop the buttons left out, and rows left empty."""
    kept = (tuple(b for b in row if b is not None) for row in rows)
    return tuple(row for row in kept if row)


def actions_for(
    hazard: Hazard, person: Person, fixer_id: int | None, *, rechecks: bool = False
) -> tuple[tuple[Button, ...], ...]:
    """Return the buttons one person may press on a hazard, by the rule its operations check (`may_do`;
    `rechecks`: the park lets the inspector who found a hazard verify its fix)."""

    def allow(action: Action, level: Level | None) -> bool:
        return may_do(person, hazard, action, fixer_id=fixer_id, level=level, finder_rechecks=rechecks)

    return actions(hazard, allow)


def for_people(
    card: Card, hazard: Hazard, people: Iterable[Person], fixer_id: int | None, *, rechecks: bool = False
) -> Card:
    """Return the card with these people's own buttons added to its audience (for their private copies)."""
    known = {(a.platform, a.user_id) for a in card.audience}
    added = tuple(
        Audience(p.platform, p.external_id, p.private_chat_id, actions_for(hazard, p, fixer_id, rechecks=rechecks))
        for p in people
        if (p.platform, p.external_id) not in known
    )
    return replace(card, audience=card.audience + added) if added else card


async def document_rows(
    session: AsyncSession, attachments: list[Attachment], settings: Settings, now: datetime
) -> list[Document]:
    """Write document rows for the PDFs already stored on disk."""
    root = settings.storage.photo_dir
    return [
        await attachment_rows.save_document(session, a.document, root, now)
        for a in attachments
        if a.document is not None and a.document.mime_type == PDF_TYPE
    ]


def document_names(documents: list[Document]) -> str:
    """Return the documents' names for one line, each in 《》."""
    return "、".join(f"《{d.file_name}》" for d in documents)


def fmt_size(size: int) -> str:
    """Format a file size as people read it: 850 KB, 2.4 MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


async def card_reply(session: AsyncSession, hazard: Hazard, settings: Settings, now: datetime) -> Reply:
    """Return an in-place edit of the hazard's card."""
    return Reply(card=await build_card(session, hazard, settings, now), edit=True)


def told_replies(change: Change[Hazard], card: Card, actor: Person, reach: Reach) -> list[Reply]:
    """Tell privately whom the domain says to: managers of a major hazard, leads of one filed for them."""
    hazard = change.subject
    replies: list[Reply] = []
    managers = recipients(change.tell.get(Tell.MAJOR, []), reach)
    if managers:
        reported = change.event is not None and change.event.action == Action.REPORT
        how = T.MAJOR_HOW_REPORTED if reported else T.MAJOR_HOW_SET
        alert = T.MAJOR_ALERT.format(
            code=hazard.code,
            enterprise=hazard.enterprise.name,
            description=short(hazard.description),
            actor=actor.display_name,
            how=how,
        )
        replies.append(Reply(text=alert, people=managers))
    lowered = recipients(change.tell.get(Tell.DOWNGRADED, []), reach)
    if lowered:
        text = T.LEVEL_DOWNGRADED.format(code=hazard.code, enterprise=hazard.enterprise.name, actor=actor.display_name)
        replies.append(Reply(text=text, people=lowered))
    leads = recipients(change.tell.get(Tell.FILED, []), reach)
    if leads:
        source = T.SOURCE_NAMES.get(hazard.source, hazard.source)
        notice = T.FILED_NOTICE.format(actor=actor.display_name, source=source, code=hazard.code)
        own = for_people(card, hazard, change.tell.get(Tell.FILED, []), None)
        replies.append(Reply(card=own, people=leads))
        replies.append(Reply(text=notice, people=leads))
    return replies


async def find_target(
    session: AsyncSession, card_key: str | None, args: str
) -> tuple[Hazard | None, str, str | None]:
    """Find the hazard a command is about (a code first in the text, or the card replied to).

    Returns the hazard, the rest of the text, and the code as typed when it was not found.
    """
    words = args.split(maxsplit=1)
    if words and CODE_RE.match(words[0]):
        hazard = await hazard_queries.hazard_by_code(session, words[0])
        rest = words[1] if len(words) > 1 else ""
        return hazard, rest, None if hazard else words[0]
    hazard_id = hazard_id_of(card_key)
    if hazard_id is not None:
        return await hazard_queries.get_hazard(session, hazard_id), args, None
    return None, args, None


async def commanded_hazard(
    session: AsyncSession, msg: Incoming, card_key: str | None, usage: str, *, limit: int = 200
) -> tuple[Hazard | None, str, Reply | None]:
    """Find the hazard a card command names (by code, or the card it replies to), or say how to name it.

    Returns the hazard, the rest of the text (cleaned, at most `limit` characters) and, when no hazard
    was found, the answer to give instead.
    """
    hazard, rest, missing_code = await find_target(session, card_key, msg.args)
    if missing_code:
        return None, rest, not_found(missing_code)
    if hazard is None:
        return None, rest, Reply(text=usage)
    return hazard, clean_text(rest, limit), None


async def act_on_commanded(
    session: AsyncSession,
    msg: Incoming,
    actor: Person,
    card_key: str | None,
    usage: str,
    act: Callable[[Hazard, str], Awaitable[HandlerResult]],
    *,
    refused: Callable[[Refused], str] | None = None,
    limit: int = 200,
) -> HandlerResult:
    """Run a card command on the hazard it names with the rest of its text; put a refusal in words.

    Without a hazard (no code, not a reply to a card) the answer is the command's usage, or that the
    code was not found. A refusal is said by `refused`, by default `refusal_text`.
    """
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, usage, limit=limit)
    if hazard is None:
        return problem
    try:
        return await act(hazard, rest)
    except Refused as exc:
        return Reply(text=refused(exc) if refused is not None else refusal_text(exc, actor))


def not_found(code: str) -> Reply:
    """Say that no hazard has the code typed, written the way codes are stored (`yh-2026-7` → YH-2026-0007)."""
    shown = normal_code(code) or code.strip().upper()
    return Reply(text=T.HAZARD_NOT_FOUND.format(code=shown[:20]))


def due_problem(exc: DueDateError, text: str) -> str:
    """Say in one line why a deadline in words was not taken: it is past, or it cannot be read."""
    template = T.DUE_PAST if exc.reason == "past" else T.DUE_UNREADABLE
    return template.format(text=text).split("\n")[0]
