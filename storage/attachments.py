"""Photo and document rows: the metadata of files the photo store wrote, and the files of a broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.db import dialect_insert
from storage.models import (
    BroadcastFile,
    Document,
    Photo,
)
from storage.photos import StoredDocument, StoredPhoto

FileRow = TypeVar("FileRow", Photo, Document)  # rows named by the hash of their bytes


async def save_photo(session: AsyncSession, stored: StoredPhoto, root: Path, at: datetime) -> Photo:
    """Return the photo row for stored bytes, creating it the first time these bytes are seen.

    The same photo sent by two people at once is one row: the insert yields to the other one's.
    """
    return await _row_for_bytes(session, Photo, stored, root, at, width=stored.width, height=stored.height)


async def save_document(session: AsyncSession, stored: StoredDocument, root: Path, at: datetime) -> Document:
    """Return the document row for stored bytes, creating it the first time these bytes are seen.

    The same bytes are one row: the name is the one they first came with.
    """
    return await _row_for_bytes(session, Document, stored, root, at, file_name=stored.file_name[:200])


async def _row_for_bytes(
    session: AsyncSession,
    model: type[FileRow],
    stored: StoredPhoto | StoredDocument,
    root: Path,
    at: datetime,
    **columns: object,
) -> FileRow:
    """Return the row with the stored bytes' hash; insert it with its other columns unless a concurrent insert wins."""
    query = select(model).where(model.sha256 == stored.sha256)
    row = await session.scalar(query)
    if row is None:
        await session.execute(
            dialect_insert(session)(model)
            .values(
                sha256=stored.sha256,
                path=str(stored.path.relative_to(root)),
                size=stored.size,
                mime_type=stored.mime_type,
                created_at=at,
                **columns,
            )
            .on_conflict_do_nothing(index_elements=[model.sha256])
        )
        row = await session.scalar(query)
    assert row is not None
    return row


async def documents_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Document]:
    """Return the document rows with these ids, in the order given (ids that are gone are skipped)."""
    if not ids:
        return []
    found = {d.id: d for d in await session.scalars(select(Document).where(Document.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


_FILES = (  # built once: a notice card is rebuilt at every 收到 pressed
    select(BroadcastFile)
    .options(joinedload(BroadcastFile.photo), joinedload(BroadcastFile.document))
    .where(BroadcastFile.owner_kind == bindparam("owner_kind"), BroadcastFile.owner_id == bindparam("owner_id"))
    .order_by(BroadcastFile.id)
)


async def files(session: AsyncSession, owner_kind: str, owner_id: int) -> list[BroadcastFile]:
    """Return the photos and documents sent with a notice, a campaign or a report, in the order they came."""
    rows = await session.scalars(_FILES, {"owner_kind": owner_kind, "owner_id": owner_id})
    return list(rows.unique().all())


async def attach_files(
    session: AsyncSession,
    owner_kind: str,
    owner_id: int,
    photos: Sequence[Photo],
    documents: Sequence[Document],
    at: datetime,
    event_id: int | None = None,
) -> int:
    """Link photos and documents to a notice, a campaign or a report; return how many were linked."""
    for photo in photos:
        session.add(
            BroadcastFile(
                owner_kind=owner_kind, owner_id=owner_id, event_id=event_id, photo_id=photo.id, created_at=at
            )
        )
    for document in documents:
        session.add(
            BroadcastFile(
                owner_kind=owner_kind,
                owner_id=owner_id,
                event_id=event_id,
                document_id=document.id,
                created_at=at,
            )
        )
    await session.flush()
    return len(photos) + len(documents)
