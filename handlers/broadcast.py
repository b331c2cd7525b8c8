"""What notices and campaigns share: a card broadcast to every park group with its files, the files' rows,
card keys, and what goes to one person only (lists, questions, reminders).

`handlers/notices/` and `handlers/campaigns/` use this module; neither imports the other. The rules of
each live in `domain/notices/` and `domain/campaigns/`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import NamedTuple, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Card, ChatRef, Incoming, Reply
from bot.questions import Question, ask
from domain.park import queries as park_queries
from handlers import texts as T
from handlers.util import ADD_WINDOW, Reach, added_what, adds_to, attachment_problem, photo_rows, recipient
from storage import attachments as attachment_rows
from storage import reminders
from storage.models import BroadcastFile, Document, Person, Photo

T_ = TypeVar("T_")


def files_line(attached: Sequence[BroadcastFile]) -> str:
    """Say what files came with a notice, campaign or submission: documents by name, photos counted."""
    documents = [f.document.file_name for f in attached if f.document is not None]
    return files_said(documents, sum(f.photo is not None for f in attached))


def files_said(documents: Sequence[str], photos: int) -> str:
    """Say documents by name and photos counted (`files_line` from names and a count)."""
    names = "、".join(f"《{name}》" for name in documents)
    parts = ([T.FILES_DOCUMENTS.format(names=names)] if names else []) + (
        [T.FILES_PHOTOS.format(count=photos)] if photos else []
    )
    return "；".join(parts) or T.NONE


def id_in_key(key: str | None, kind: str) -> int | None:
    """Return the id in a card key of one kind (`notice:7`, or `about:notice:7` for a message about it)."""
    if key is None:
        return None
    key = key.removeprefix("about:")
    if not key.startswith(f"{kind}:"):
        return None
    tail = key.split(":", 1)[1]
    return int(tail) if tail.isdigit() else None


# --- issuing ---------------------------------------------------------------------------------


class StoredFiles(NamedTuple):
    """The photo and document rows of what came with a message, and what was refused (in Chinese)."""

    photos: list[Photo]
    documents: list[Document]
    problem: str | None


async def store_files(
    session: AsyncSession, attachments: list[Attachment], settings: Settings, now: datetime
) -> StoredFiles:
    """Store the rows of the photos and documents sent with a notice, campaign or submission; say what was refused."""
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
    return StoredFiles(photos, documents, said)


async def files_to_broadcast(
    session: AsyncSession, attachments: list[Attachment], settings: Settings, now: datetime
) -> StoredFiles | Reply:
    """Store the files of a notice or campaign about to go to every enterprise; a Reply when the park has none."""
    if not await park_queries.list_enterprises(session):
        return Reply(text=T.NOTICE_NO_ENTERPRISES)
    return await store_files(session, attachments, settings, now)


# --- a manager's lone files, held for the notice or campaign they send next --------------------------


@dataclass(frozen=True)
class FilesHeld(Question, kind="files_held", ttl=ADD_WINDOW):
    """Files a manager sent alone in their private chat: the next /notice, /meeting or /campaign takes them."""

    photo_ids: list[int] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    media_group_id: str | None = None

    def expects(self, msg: Incoming) -> bool:
        """Only more files: addressed to the bot, or the rest of the album."""
        return adds_to(msg, self.media_group_id)


async def held_rows(session: AsyncSession, held: FilesHeld) -> tuple[list[Photo], list[Document]]:
    """Return the photo and document rows held (those still there)."""
    photos = [p for p in [await session.get(Photo, i) for i in held.photo_ids] if p is not None]
    return photos, await attachment_rows.documents_by_id(session, held.document_ids)


async def keep_held(session: AsyncSession, chat: ChatRef, actor: Person, question: object, now: datetime) -> None:
    """Keep held files waiting after a command that did not use them (a usage error, a look at a card)."""
    if isinstance(question, FilesHeld):
        await ask(session, chat, actor, question, now)


async def with_held(session: AsyncSession, files: StoredFiles, question: object) -> tuple[StoredFiles, str | None]:
    """Return the files of a new notice or campaign with the ones held for it first, and what to say about them."""
    if not isinstance(question, FilesHeld):
        return files, None
    photos, documents = await held_rows(session, question)
    if not photos and not documents:
        return files, None
    said = T.FILES_HELD_ATTACHED.format(what=added_what("", photos, documents))
    all_photos = list({p.id: p for p in [*photos, *files.photos]}.values())
    all_documents = list({d.id: d for d in [*documents, *files.documents]}.values())
    return StoredFiles(all_photos, all_documents, files.problem), said


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
            # At least the sender sees it.
            replies.append(Reply(card=card, documents=documents, document_names=names))
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
    """Return the documents of a notice, campaign or submission to send with its card (photos are on the card)."""
    return [
        BroadcastFileView(f.document.path, f.document.file_name)
        for f in await attachment_rows.files(session, owner_kind, owner_id)
        if f.document is not None
    ]


# --- one person only: lists, questions, reminders ---------------------------------------------


def private_chat(person: Person, reach: Reach) -> ChatRef | None:
    """Return the person's private chat when the bot can write there, else None."""
    if person.private_chat_id and reach(person):
        return ChatRef(person.platform, person.private_chat_id, is_group=False)
    return None


def privately(actor: Person, chat: ChatRef, reach: Reach, reply: Reply) -> list[Reply]:
    """Send a list privately: as is in a private chat; from a group, to the person's private chat only."""
    if not chat.is_group:
        return [reply]
    if private_chat(actor, reach) is not None:
        return [
            replace(reply, people=(recipient(actor),)),
            Reply(text=T.SENT_PRIVATELY.format(name=actor.display_name)),
        ]
    return [Reply(text=T.NEED_PRIVATE.format(name=actor.display_name))]


def mention(person: Person) -> str:
    """Name a person in a group reminder: @username where there is one, else the display name."""
    return f"@{person.username}" if person.username else person.display_name


async def remind_enterprises(
    session: AsyncSession,
    subject: str,
    owed: Iterable[tuple[int, T_]],
    day: date,
    now: datetime,
    remind: Callable[[T_], Awaitable[list[Reply]]],
) -> tuple[list[Reply], int]:
    """Remind each (enterprise id, row) that owes an answer about `subject` at most once a park day (the
    `enterprise:<id>` claim in `storage/reminders.py`); return the reminders and how many were reminded."""
    replies: list[Reply] = []
    count = 0
    for enterprise_id, row in owed:
        if await reminders.claim(session, subject, f"enterprise:{enterprise_id}", day, now):
            count += 1
            replies += await remind(row)
    return replies, count


async def sweep(
    subjects: Iterable[T_], remind: Callable[[T_], Awaitable[tuple[list[Reply], int]]]
) -> tuple[list[Reply], int]:
    """Collect the reminders of every open notice or campaign; return them and how many enterprises."""
    replies: list[Reply] = []
    reminded = 0
    for subject in subjects:
        said, count = await remind(subject)
        replies += said
        reminded += count
    return replies, reminded
