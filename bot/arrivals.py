"""What arrives with an update: its files downloaded and kept before the bot answers (nothing is lost).

The dispatcher asks `may_want_files` first (cheaply: is the message addressed to the bot, or does the
person's open question expect it?), then `store_files` writes each file to disk, content-addressed,
before the update's transaction opens.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bot import questions
from bot.clock import Clock
from bot.config import StorageSettings
from bot.messages import Attachment, FileRef, Incoming, clean_text
from domain.park import queries as park_queries
from handlers import texts as T
from storage import conversations
from storage.db import Database, is_unavailable
from storage.photos import (
    DOCUMENT_MAGICS,
    BrokenImage,
    BrokenPdf,
    NotAnImage,
    NotAPdf,
    PhotoNotSaved,
    PhotoStore,
    TooManyPixels,
)

logger = logging.getLogger(__name__)

Kinds = dict[str, type[questions.Question]]


class Fetcher(Protocol):
    """An adapter as far as files go."""

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download an attachment's bytes."""
        ...


async def may_want_files(db: Database, kinds: Kinds, clock: Clock, event: Incoming) -> bool:
    """Tell cheaply whether a handler could use the attachments, before downloading anything.

    A message addressed to the bot may; a photo posted into the group without addressing the bot
    (a bot that is a group admin sees them all) is downloaded only when the person's open question
    says it expects it (the rest of an album).
    """
    if event.addressed:
        return True
    try:
        return await _question_expects(db, kinds, clock, event)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        return True  # cannot ask the database now: keep the files rather than lose them

async def _question_expects(db: Database, kinds: Kinds, clock: Clock, event: Incoming) -> bool:
    """Tell whether the person's open question in this chat expects this message."""
    async with db.reading() as session:
        person = await park_queries.find_person(session, event.sender.platform, event.sender.user_id)
        if person is None:
            return False
        row = await conversations.get_conversation(
            session, event.chat.platform, event.chat.chat_id, person
        )
        if row is None:
            return False
        pending = questions.read(row, kinds, clock.now())
        return pending.question is not None and pending.question.expects(event)


async def store_files(adapter: Fetcher | None, photos: PhotoStore, limits: StorageSettings, event: Incoming) -> list[Attachment]:
    """Download and keep an update's files (photos, PDFs, office documents), or say per file why not."""
    limit = limits.max_photo_bytes
    out: list[Attachment] = []
    for ref in event.files:
        if ref.size is not None and ref.size > limit:
            out.append(Attachment(ref, None, "too_large"))
            continue
        pdf = ref.says_document  # a PDF, or an office file (a work plan sent with a notice)
        if ref.kind == "document" and ref.mime_type and not ref.mime_type.startswith("image/") and not pdf:
            out.append(Attachment(ref, None, "not_image"))
            continue
        try:
            assert adapter is not None
            data = await adapter.fetch_file(ref)
        except Exception as exc:
            too_large = "too" in type(exc).__name__.lower() or "too big" in str(exc).lower()
            logger.warning("could not fetch %s from %s: %s", ref.file_id, event.sender.platform, exc)
            out.append(Attachment(ref, None, "too_large" if too_large else "failed"))
            continue
        if len(data) > limit:
            out.append(Attachment(ref, None, "too_large"))
            continue
        # The bytes decide: a PDF by its header; a document that only claims to be one (and is not
        # declared an image) is refused by the PDF check, with the reply that names what is accepted.
        image_declared = (ref.mime_type or "").startswith("image/")
        if ref.kind == "document" and (data.startswith(DOCUMENT_MAGICS) or (pdf and not image_declared)):
            out.append(await _store_pdf(photos, ref, data))
            continue
        try:  # in a worker thread: decoding a large image never stalls other updates
            stored = await asyncio.to_thread(photos.save, data, limits.max_pixels)
        except TooManyPixels as exc:
            out.append(Attachment(ref, None, "too_many_pixels", dimensions=(exc.width, exc.height)))
            continue
        except BrokenImage:
            out.append(Attachment(ref, None, "broken"))
            continue
        except NotAnImage:
            out.append(Attachment(ref, None, "not_image"))
            continue
        except PhotoNotSaved:  # PhotoStore logs it, once per cause
            out.append(Attachment(ref, None, "not_saved"))
            continue
        out.append(Attachment(ref, stored))
    return out

async def _store_pdf(photos: PhotoStore, ref: FileRef, data: bytes) -> Attachment:
    """Keep a PDF or office document (its bytes checked, not only its declared type), or say why not."""
    name = clean_text(ref.file_name or "", 120) or T.DOCUMENT_DEFAULT_NAME
    try:
        stored = await asyncio.to_thread(photos.save_document, data, name)
    except NotAPdf:
        return Attachment(ref, None, "not_image")
    except BrokenPdf:
        return Attachment(ref, None, "broken_pdf")
    except PhotoNotSaved:
        return Attachment(ref, None, "not_saved")
    return Attachment(ref, None, document=stored)
