"""The hazard card (one per hazard, rebuilt from the ledger on every change and edited in place),
and the small helpers the hazard handlers share."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, Card, Incoming, Reply
from handlers import texts as T
from storage import hazards as hz
from storage.models import Hazard, Photo

CODE_RE = re.compile(r"^YH-\d{4}-\d{4,}$", re.IGNORECASE)
DESCRIPTION_LIMIT = 500


def card_key(hazard: Hazard) -> str:
    """Return the card key of a hazard."""
    return f"hazard:{hazard.id}"


def not_now(hazard: Hazard, template: str = T.STATE_CHANGED, *, toast: bool = False) -> Reply:
    """Say that the hazard's current status does not allow what was asked."""
    return Reply(text=template.format(code=hazard.code, status=T.STATUS_NAMES[hazard.status]), toast=toast)


def is_answer(msg: Incoming, card_key: str | None) -> bool:
    """Tell whether a message can be the answer to the bot's open question.

    In a private chat any message is; in a group only a reply to one of the bot's messages that is
    not a card, so chatter, a reply to a colleague or to another hazard's card is never the answer.
    """
    if card_key is not None:
        return False
    return not msg.chat.is_group or msg.reply_to_bot


def hazard_id_of(card_key: str | None) -> int | None:
    """Return the hazard id named by a card key, if it is a hazard card."""
    if not card_key or not card_key.startswith("hazard:"):
        return None
    tail = card_key.split(":", 1)[1]
    return int(tail) if tail.isdigit() else None


def today_in_park(now: datetime, settings: Settings) -> date:
    """Return today's date in the park's time zone."""
    return now.astimezone(settings.park.tz).date()


def fmt_date(day: date) -> str:
    """Format a date with its weekday, e.g. 2026-12-10（周四）."""
    return f"{day.isoformat()}（周{T.WEEKDAYS[day.weekday()]}）"


def fmt_time(at: datetime, tz: ZoneInfo) -> str:
    """Format a moment in the park's time zone."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def five_missing(hazard: Hazard) -> list[str]:
    """Return the Chinese names of the five-in-place fields still missing on a major hazard."""
    if hazard.level != "major":
        return []
    return [name for key, name in T.FIVE_FIELDS.items() if not hazard.five_in_place.get(key)]


def short(text: str, limit: int = 40) -> str:
    """Cut text for one-line lists."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def build_card(session: AsyncSession, hazard: Hazard, settings: Settings, now: datetime) -> Card:
    """Build the card for a hazard's current state, with the buttons for what can happen next."""
    tz = settings.park.tz
    today = today_in_park(now, settings)
    before = await hz.photos_of(session, hazard.id, "before")
    after = await hz.photos_of(session, hazard.id, "after")
    fields: list[tuple[str, str]] = [
        (T.F_ENTERPRISE, hazard.enterprise.name),
        (T.F_DESCRIPTION, hazard.description),
        (T.F_CATEGORY, T.CATEGORY_NAMES.get(hazard.category, hazard.category)),
        (T.F_LEVEL, T.LEVEL_NAMES[hazard.level]),
        (T.F_MODE, T.MODE_NAMES.get(hazard.mode, T.MODE_NAMES[None])),
    ]
    if hazard.due_date is not None:
        fields.append((T.F_DUE, fmt_date(hazard.due_date)))
    if hazard.level == "major":
        missing = five_missing(hazard)
        fields.append(
            (T.F_FIVE, T.FIVE_MISSING.format(missing="、".join(missing)) if missing else T.FIVE_DONE)
        )
    fields += [
        (
            T.F_REPORTER,
            f"{hazard.reporter.display_name}（{T.SOURCE_NAMES.get(hazard.source, hazard.source)}）",
        ),
        (T.F_FOUND, fmt_time(hazard.found_at, tz)),
        (T.F_PHOTOS, T.PHOTOS_COUNT.format(before=len(before), after=len(after))),
    ]
    events = await hz.events_of(session, hazard.id)
    last = {e.action: e for e in events}  # the newest event of each kind
    fix, reject, accept = last.get("fix"), last.get("reject"), last.get("accept")
    if fix is not None and fix.note:
        fields.append((T.F_FIX, fix.note))
    if reject is not None and hazard.status == "rectifying" and (fix is None or reject.id > fix.id):
        fields.append((T.F_REJECT, reject.note or ""))
    if hazard.status == "closed" and accept is not None:
        fields.append(
            (T.F_VERIFIED, T.VERIFIED_BY.format(name=accept.actor.display_name, at=fmt_time(accept.at, tz)))
        )
    status = T.STATUS_NAMES[hazard.status]
    if hz.is_overdue(hazard, today):
        assert hazard.due_date is not None
        status += "，" + T.OVERDUE.format(days=(today - hazard.due_date).days)
    return Card(
        key=card_key(hazard),
        title=T.HAZARD_CARD_TITLE.format(code=hazard.code),
        fields=tuple(fields),
        status=status,
        photos=tuple(settings.storage.photo_dir / p.path for p in before[:1]),
        actions=actions(hazard),
    )


def actions(hazard: Hazard) -> tuple[tuple[Button, ...], ...]:
    """Return the buttons for what can happen next to a hazard."""
    i = hazard.id
    if hazard.status == "closed":
        return ()
    if hazard.status == "awaiting_verification":
        return ((Button(T.BTN_ACCEPT, f"hzok:{i}"), Button(T.BTN_REJECT_FIX, f"hzno:{i}")),)
    level = (
        Button(T.BTN_GENERAL, f"hzlvl:{i}:general")
        if hazard.level == "major"
        else Button(T.BTN_MAJOR, f"hzlvl:{i}:major")
    )
    rows: list[tuple[Button, ...]] = []
    if hazard.mode is None:  # no way of rectifying chosen yet
        rows.append(
            (
                Button(T.BTN_IMMEDIATE, f"hzdue:{i}:0"),
                *(Button(T.BTN_DAYS.format(days=d), f"hzdue:{i}:{d}") for d in (3, 7, 15)),
            )
        )
    rows.append((Button(T.BTN_FIX, f"hzfix:{i}"),))
    rows.append((level, Button(T.BTN_CATEGORY, f"hzcat:{i}")))
    return tuple(rows)


def attachment_problem(attachments: list[Attachment], settings: Settings) -> str | None:
    """Explain the first attachment that could not be stored, if any."""
    for a in attachments:
        if a.problem == "too_large":
            return T.PHOTO_TOO_LARGE.format(limit=settings.storage.max_photo_bytes // (1024 * 1024))
        if a.problem == "not_image":
            return T.PHOTO_NOT_IMAGE
        if a.problem == "failed":
            return T.PHOTO_FAILED
    return None


async def photo_rows(
    session: AsyncSession, attachments: list[Attachment], settings: Settings, now: datetime
) -> list[Photo]:
    """Write photo rows for the attachments already stored on disk."""
    root = settings.storage.photo_dir
    return [await hz.save_photo(session, a.stored, root, now) for a in attachments if a.stored is not None]


async def card_reply(session: AsyncSession, hazard: Hazard, settings: Settings, now: datetime) -> Reply:
    """Return an in-place edit of the hazard's card."""
    return Reply(card=await build_card(session, hazard, settings, now), edit=True)


async def find_target(
    session: AsyncSession, card_key: str | None, args: str
) -> tuple[Hazard | None, str, str | None]:
    """Find the hazard a command is about (the card replied to, or a code first in the text).

    Returns the hazard, the rest of the text, and the code that was not found (if one was named).
    """
    words = args.split(maxsplit=1)
    if words and CODE_RE.match(words[0]):
        hazard = await hz.hazard_by_code(session, words[0])
        rest = words[1] if len(words) > 1 else ""
        return hazard, rest, None if hazard else words[0].upper()
    hazard_id = hazard_id_of(card_key)
    if hazard_id is not None:
        return await hz.get_hazard(session, hazard_id), args, None
    return None, args, None
