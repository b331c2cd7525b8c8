"""Small helpers several handler modules share."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import (
    Attachment,
    Button,
    ButtonPress,
    Incoming,
    Recipient,
    Reply,
    clean_text,
)
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from handlers import texts as T
from storage import attachments as attachment_rows
from storage import audit, reminders
from storage.db import Database
from storage.enums import Role
from storage.identity import Actor
from storage.models import Document, Enterprise, Person, Photo

PDF_TYPE = "application/pdf"  # the only documents a hazard keeps as evidence
# How long after someone submits a report, a fix or a notice their next photos and files in that chat
# are added to it (and how long a manager's lone file waits for the notice they issue next).
ADD_WINDOW = timedelta(minutes=10)
ADD_MINUTES = int(ADD_WINDOW.total_seconds() // 60)


def adds_to(msg: Incoming, media_group_id: str | None) -> bool:
    """Tell whether a message could add to what the person just sent: it carries files, and is
    addressed to the bot or is the rest of the album the sending came with."""
    album = media_group_id is not None and msg.media_group_id == media_group_id
    return bool(msg.files) and (msg.addressed or album)


def added_what(note: str, photos: Iterable[Photo], documents: Iterable[Document]) -> str:
    """Say what was added: a note, photos counted, documents by name (说明 1 条、照片 2 张、文件《…》)."""
    count = len(list(photos))
    names = "".join(f"《{d.file_name}》" for d in documents)
    parts = ([T.ADDED_NOTE] if note else []) + ([T.ADDED_PHOTOS.format(count=count)] if count else [])
    parts += [T.ADDED_DOCUMENTS.format(names=names)] if names else []
    return T.ADDED_SEPARATOR.join(parts)


def own_enterprise(actor: Person | Actor) -> str:
    """Return the name of the person's enterprise, or 无."""
    return actor.enterprise.name if actor.enterprise else T.NONE


def is_answer(msg: Incoming, card_key: str | None) -> bool:
    """Tell whether a message can be the answer to the bot's open question.

    It must be addressed to the bot (a private chat, a reply to the bot, an @-mention: the adapter
    decides) and not be a reply to some card, so group chatter, a reply to a colleague or to another
    hazard's card is never the answer.
    """
    return card_key is None and msg.addressed



def fmt_date(day: date) -> str:
    """Format a date with its weekday, e.g. 2026-12-10（周四）."""
    return f"{day.isoformat()}（周{T.WEEKDAYS[day.weekday()]}）"


def fmt_time(at: datetime, tz: ZoneInfo) -> str:
    """Format a moment in the park's time zone."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def short(text: str, limit: int = 40) -> str:
    """Cut text for one-line lists."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def attachment_problem(attachments: list[Attachment], settings: Settings) -> str | None:
    """Explain the first attachment that could not be stored, if any."""
    for a in attachments:
        if a.document is not None and a.document.mime_type != PDF_TYPE:
            return T.PHOTO_NOT_IMAGE  # office files go with notices and campaign reports; hazards keep PDFs
        if a.problem == "too_large":
            too_large = T.DOCUMENT_TOO_LARGE if a.ref.says_pdf else T.PHOTO_TOO_LARGE
            return too_large.format(limit=settings.storage.max_photo_bytes // (1024 * 1024))
        if a.problem == "not_image":
            return T.PHOTO_NOT_IMAGE
        if a.problem == "too_many_pixels" and a.dimensions is not None:
            width, height = a.dimensions
            return T.PHOTO_TOO_MANY_PIXELS.format(
                width=width,
                height=height,
                megapixels=round(width * height / 10_000),
                limit=settings.storage.max_pixels // 10_000,
            )
        if a.problem == "broken":
            return T.PHOTO_BROKEN
        if a.problem == "broken_pdf":
            return T.DOCUMENT_BROKEN
        if a.problem == "not_saved":
            return T.PHOTO_NOT_SAVED
        if a.problem == "failed":
            return T.PHOTO_FAILED
    return None


async def photo_rows(
    session: AsyncSession, attachments: list[Attachment], settings: Settings, now: datetime
) -> list[Photo]:
    """Write photo rows for the attachments already stored on disk."""
    root = settings.storage.photo_dir
    return [await attachment_rows.save_photo(session, a.stored, root, now) for a in attachments if a.stored is not None]

logger = logging.getLogger(__name__)

Reach = Callable[[Person], bool]  # can the bot write to this person privately? (`Dispatcher.reach`)


async def refuse(session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, text: str) -> Reply:
    """Refuse a button press the person may not make (forged or stale): log it, change nothing."""
    logger.warning("refused button %r from %s:%s", press.data[:64], actor.platform, actor.external_id)
    await audit.audit(session, now, actor, "button.refused", "button", None, data=press.data[:64])
    return Reply(text=text, toast=True)


def recipient(person: Person) -> Recipient:
    """Return the address of a person for a private message."""
    return Recipient(person.platform, person.external_id, person.private_chat_id)


def recipients(people: Iterable[Person], reach: Reach) -> tuple[Recipient, ...]:
    """Return the addresses of the people the bot can write to privately."""
    return tuple(recipient(p) for p in people if reach(p))


async def pick_enterprise(
    session: AsyncSession, text: str, *, button: Callable[[int], CallbackData] | None
) -> Enterprise | Reply:
    """Resolve an enterprise by its exact name or alias; otherwise offer the closest names to confirm.

    A near match never acts by itself (`华润` must not file under 华油): the person picks it from buttons
    when `button` makes them, or writes the full name or an alias.
    """
    shown = clean_text(text, 40)
    matches = await park_queries.match_enterprises(session, clean_text(text, 100))
    if len(matches) == 1 and park_rules.is_exact(matches[0], clean_text(text, 100)):
        return matches[0]
    if not matches:
        return Reply(text=T.ENTERPRISE_NOT_FOUND.format(text=shown))
    if button is None:
        names = "、".join(e.name + (f"（{e.aliases[0]}）" if e.aliases else "") for e in matches)
        return Reply(text=T.ENTERPRISE_WRITE_EXACT.format(text=shown, names=names))
    buttons = tuple((Button(e.name, button(e.id).pack()),) for e in matches)
    return Reply(text=T.ENTERPRISE_PICK.format(text=shown), buttons=buttons)


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """Tell whether a failure to write a file was a full disk (or a used-up quota)."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


async def disk_full_to_admins(db: Database, what: str, folder: Path, now: datetime) -> list[Reply]:
    """Return the line admins get when a file could not be made for a full disk: once a park day at most."""
    async with db.unit_of_work() as session:
        if not await reminders.claim(session, "disk_full", "admins", now.date(), now):
            return []
        admins = await park_queries.people_with_role(session, None, [Role.ADMIN])
    told = tuple(recipient(p) for p in admins)
    return [Reply(text=T.DISK_FULL_ADMINS.format(what=what, folder=folder), people=told)] if told else []


def split_for_desk(replies: Iterable[Reply]) -> tuple[str, list[Reply]]:
    """Split the replies of a chat action done on the web desk: what the chat would have said to the person
    in their own chat (the page shows it) and the replies that name where they go (sent as usual)."""
    said: list[str] = []
    outgoing: list[Reply] = []
    for reply in replies:
        if (reply.edit and reply.card is not None) or reply.chat is not None or reply.to_groups or reply.people:
            outgoing.append(reply)
        elif reply.text and not reply.toast:
            said.append(reply.text)
    return "\n".join(said), outgoing
