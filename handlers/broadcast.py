"""What notices and campaigns share: a card broadcast to every park group with its files, the files' rows,
and lists that only go privately. Both subjects use this module; neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import (
    Attachment,
    Card,
    ChatRef,
    Reply,
)
from domain.park import queries as park_queries
from handlers import texts as T
from handlers.util import (
    Reach,
    attachment_problem,
    photo_rows,
    recipient,
)
from storage import attachments as attachment_rows
from storage.models import BroadcastFile, Document, Person, Photo


def files_line(attached: Sequence[BroadcastFile]) -> str:
    """Say what files came with a notice, campaign or report: documents by name, photos counted."""
    names = "、".join(f"《{f.document.file_name}》" for f in attached if f.document is not None)
    photos = sum(f.photo is not None for f in attached)
    parts = ([T.FILES_DOCUMENTS.format(names=names)] if names else []) + (
        [T.FILES_PHOTOS.format(count=photos)] if photos else []
    )
    return "；".join(parts) or T.NONE


# --- issuing ---------------------------------------------------------------------------------


async def store_files(
    session: AsyncSession, attachments: list[Attachment], settings: Settings, now: datetime
) -> tuple[list[Photo], list[Document], str | None]:
    """Store the rows of the photos and documents sent with a notice or campaign; say what was refused."""
    photos = await photo_rows(session, attachments, settings, now)
    documents = [
        await attachment_rows.save_document(session, a.document, settings.storage.photo_dir, now)
        for a in attachments
        if a.document is not None
    ]
    problem = next((a for a in attachments if a.problem), None)
    said = None
    if problem is not None:
        # The hazard module words each problem; what a notice accepts is said here.
        said = T.NOTICE_FILE_KINDS if problem.problem == "not_image" else attachment_problem([problem], settings)
    return photos, documents, said


async def broadcast(
    session: AsyncSession,
    card: Card,
    owner: tuple[str, int],
    chat: ChatRef,
    settings: Settings,
    done: str,
    problem: str | None,
) -> list[Reply]:
    """Post a new notice or campaign card to every park group with its documents (`owner`: kind and id);
    confirm to the sender where they wrote, and say which files were not kept."""
    files = await file_views(session, *owner)
    documents = tuple(settings.storage.photo_dir / f.path for f in files)
    names = tuple(f.name for f in files)
    replies = [Reply(card=card, to_groups=True, documents=documents, document_names=names)]
    groups = await park_queries.park_group_keys(session)
    if not (chat.is_group and chat.key in groups):  # in this very group the card itself says it all
        if not groups:
            replies.append(Reply(text=T.NOTICE_NO_GROUPS))
            replies.append(
                Reply(card=card, documents=documents, document_names=names)
            )  # at least the sender sees it
        replies.append(Reply(text=done, about=card.key))
    if problem:
        replies.append(Reply(text=T.NOTICE_FILES_REFUSED.format(problem=problem)))
    return replies


@dataclass(frozen=True)
class BroadcastFileView:
    """A document to send with a card: its stored path and the name it goes out under."""

    path: str
    name: str


async def file_views(session: AsyncSession, owner_kind: str, owner_id: int) -> list[BroadcastFileView]:
    """Return the documents of a notice, campaign or report to send with its card (photos are on the card)."""
    return [
        BroadcastFileView(f.document.path, f.document.file_name)
        for f in await attachment_rows.files(session, owner_kind, owner_id)
        if f.document is not None
    ]


# --- managers: /receipts, reminders -----------------------------------------------------------


def privately(actor: Person, chat: ChatRef, reach: Reach, reply: Reply) -> list[Reply]:
    """Send a list privately: as is in a private chat; from a group, to the person's private chat only."""
    if not chat.is_group:
        return [reply]
    if actor.private_chat_id and reach(actor):
        from dataclasses import replace

        return [
            replace(reply, people=(recipient(actor),)),
            Reply(text=T.SENT_PRIVATELY.format(name=actor.display_name)),
        ]
    return [Reply(text=T.NEED_PRIVATE.format(name=actor.display_name))]
