"""Reads of responsibility letters (目标责任状): a letter by id or year, its signatures, the figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Enterprise, Letter, LetterSignature


@dataclass(frozen=True)
class Progress:
    """One letter's copies counted: how many enterprises have it, how many signed."""

    total: int
    signed: int


async def get(session: AsyncSession, letter_id: int) -> Letter | None:
    """Return one letter by id, with its author."""
    return await session.get(Letter, letter_id, options=[joinedload(Letter.author)])


async def of_year(session: AsyncSession, year: int) -> Letter | None:
    """Return the letter of a year."""
    return await session.scalar(select(Letter).options(joinedload(Letter.author)).where(Letter.year == year))


async def latest(session: AsyncSession) -> Letter | None:
    """Return the newest year's letter."""
    return await session.scalar(
        select(Letter).options(joinedload(Letter.author)).order_by(Letter.year.desc())
    )


async def signature_of(session: AsyncSession, letter_id: int, enterprise_id: int) -> LetterSignature | None:
    """Return one enterprise's copy of a letter."""
    return await session.scalar(
        select(LetterSignature)
        .options(joinedload(LetterSignature.enterprise), joinedload(LetterSignature.letter))
        .where(LetterSignature.letter_id == letter_id, LetterSignature.enterprise_id == enterprise_id)
    )


async def signatures(session: AsyncSession, letter_id: int) -> Sequence[LetterSignature]:
    """Return a letter's copies with their enterprises, by enterprise name."""
    rows = await session.scalars(
        select(LetterSignature)
        .options(joinedload(LetterSignature.enterprise))
        .join(Enterprise, Enterprise.id == LetterSignature.enterprise_id)
        .where(LetterSignature.letter_id == letter_id)
        .order_by(Enterprise.name)
    )
    return rows.unique().all()


async def progress(session: AsyncSession, letter_id: int) -> Progress:
    """Count a letter's copies and the signed ones."""
    row = (
        await session.execute(
            select(func.count(LetterSignature.id), func.count(LetterSignature.signed_at)).where(
                LetterSignature.letter_id == letter_id
            )
        )
    ).one()
    return Progress(total=row[0], signed=row[1])


async def signed_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Count the enterprises that signed a letter between `start` and `end` (each enterprise once)."""
    count = await session.scalar(
        select(func.count(func.distinct(LetterSignature.enterprise_id))).where(
            LetterSignature.signed_at >= start, LetterSignature.signed_at < end
        )
    )
    return count or 0


async def unsigned_letters(session: AsyncSession) -> Sequence[Letter]:
    """Return the letters some enterprise has not signed yet, oldest first."""
    rows = await session.scalars(
        select(Letter)
        .options(joinedload(Letter.author))
        .where(Letter.id.in_(select(LetterSignature.letter_id).where(LetterSignature.signed_at.is_(None))))
        .order_by(Letter.year)
    )
    return rows.unique().all()


async def of_years(session: AsyncSession, first: int, last: int) -> Sequence[Letter]:
    """Return the letters of the years `first` to `last`, by year."""
    rows = await session.scalars(
        select(Letter).where(Letter.year >= first, Letter.year <= last).order_by(Letter.year)
    )
    return rows.all()


async def unsigned_of_enterprise(session: AsyncSession, enterprise_id: int) -> Sequence[Letter]:
    """Return the letters an enterprise has not signed yet, by year."""
    rows = await session.scalars(
        select(Letter)
        .join(LetterSignature, LetterSignature.letter_id == Letter.id)
        .where(LetterSignature.enterprise_id == enterprise_id, LetterSignature.signed_at.is_(None))
        .order_by(Letter.year)
    )
    return rows.all()
