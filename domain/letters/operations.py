"""The responsibility letter domain (目标责任状): a manager issues the year's letter with its document to every
active enterprise; each enterprise's lead returns it signed (a photo or a PDF scan).

Each operation checks its rule (`domain/letters/rules.py`), changes the row under a lock, writes a
`letter_events` row and an audit row (`domain/events.py`, shared with notices and campaigns) and returns a
`domain.outcome.Change` (or raises `Refused`). The files are `broadcast_files` rows (`storage/attachments.py`):
owner `letter` for the letter's document, `signature` for a signed scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import events
from domain.letters.queries import of_year, signature_of
from domain.letters.rules import Refusal, Tell, is_scan, is_signed, may_issue, may_sign, valid_year
from domain.outcome import Change, Refused
from domain.park.queries import people_with_role
from storage.attachments import attach_files
from storage.enums import MANAGER_ROLES
from storage.models import Document, Letter, LetterEvent, LetterSignature, Person, Photo


async def issue(
    session: AsyncSession,
    *,
    actor: Person,
    year: int,
    title: str,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
    at: datetime,
) -> Change[Letter]:
    """Issue the year's letter with its document: one copy to sign per active enterprise."""
    if not may_issue(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    if not valid_year(year):
        raise Refused(Refusal.BAD_YEAR)
    if not photos and not documents:
        raise Refused(Refusal.NO_DOCUMENT)
    existing = await of_year(session, year)
    if existing is not None:
        raise Refused(Refusal.EXISTS, existing)
    letter = Letter(year=year, title=title, author_id=actor.id, created_at=at, updated_at=at)
    await events.open_for_enterprises(
        session,
        letter,
        actor,
        lambda enterprise_id: LetterSignature(letter_id=letter.id, enterprise_id=enterprise_id),
    )
    event = await _record(session, letter, None, actor, "issue", at, data={"year": year})
    await attach_files(session, "letter", letter.id, photos, documents, at, event.id)
    return Change(letter, event)


async def sign(
    session: AsyncSession,
    letter: Letter,
    actor: Person,
    at: datetime,
    *,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
) -> Change[LetterSignature]:
    """Return the actor's enterprise's signed letter (a photo or a PDF scan); managers are told."""
    if not may_sign(actor, actor.enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED)
    if not is_scan(len(photos), [d.mime_type for d in documents]):
        raise Refused(Refusal.NO_SCAN)
    assert actor.enterprise_id is not None
    signature = await signature_of(session, letter.id, actor.enterprise_id)
    if signature is None:
        raise Refused(Refusal.NOT_LISTED)
    await events.lock(session, signature)
    if is_signed(signature):
        raise Refused(Refusal.SIGNED, signature)
    signature.signed_at = at
    signature.person_id = actor.id
    data = {"photos": len(photos), "documents": len(documents)}
    event = await _record(session, letter, signature, actor, "sign", at, data=data)
    await attach_files(session, "signature", signature.id, photos, documents, at, event.id)
    managers = [m for m in await people_with_role(session, None, MANAGER_ROLES) if m.id != actor.id]
    return Change(signature, event, {Tell.SIGNED: managers})


async def _record(
    session: AsyncSession,
    letter: Letter,
    signature: LetterSignature | None,
    actor: Person | None,
    action: str,
    at: datetime,
    *,
    data: dict[str, Any] | None = None,
) -> LetterEvent:
    """Write one letter event and its audit row."""
    letter.updated_at = at
    event = LetterEvent(
        letter_id=letter.id,
        signature_id=signature.id if signature is not None else None,
        at=at,
        actor_id=actor.id if actor is not None else None,
        action=action,
        data=data or {},
    )
    return await events.record(
        session,
        event,
        entity="letter",
        code=str(letter.year),
        action=action,
        actor=actor,
        at=at,
        enterprise_id=signature.enterprise_id if signature is not None else None,
    )
