"""The park's enterprises: list, find by name or alias, add, import."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import audit
from storage.db import dialect_insert
from storage.models import Enterprise, Person


async def list_enterprises(session: AsyncSession, *, active_only: bool = True) -> Sequence[Enterprise]:
    """Return enterprises ordered by name."""
    query = select(Enterprise).order_by(Enterprise.id)
    if active_only:
        query = query.where(Enterprise.active.is_(True))
    return (await session.scalars(query)).all()


async def active_ids(session: AsyncSession) -> Sequence[int]:
    """Return the ids of the active enterprises, in id order (each owes a receipt or a report)."""
    return (await session.scalars(select(Enterprise.id).where(Enterprise.active.is_(True)).order_by(Enterprise.id))).all()


async def get_enterprise(session: AsyncSession, enterprise_id: int) -> Enterprise | None:
    """Return one enterprise by id."""
    return await session.get(Enterprise, enterprise_id)


async def match_enterprises(session: AsyncSession, text: str, limit: int = 5) -> list[Enterprise]:
    """Find enterprises by name or alias: an exact hit alone, else containing names, else the closest.

    Only an exact hit is certain: callers act on it at once and offer anything else for confirmation.
    """
    needle = unicodedata.normalize("NFKC", text).strip()[:100].lower()
    if not needle:
        return []
    enterprises = await list_enterprises(session)

    def names(e: Enterprise) -> list[str]:
        return [unicodedata.normalize("NFKC", n).lower() for n in (e.name, *e.aliases)]

    exact = [e for e in enterprises if needle in names(e)]
    if exact:
        return exact[:1]
    containing = [e for e in enterprises if any(needle in n or n in needle for n in names(e))]
    if containing:
        return containing[:limit]

    def score(e: Enterprise) -> tuple[float, float]:
        # Characters shared with any of its names first (Chinese names share few), then similarity.
        shared = len(set(needle) & set("".join(names(e)))) / len(set(needle))
        return shared, max(difflib.SequenceMatcher(None, needle, n).ratio() for n in names(e))

    scored = sorted(((score(e), e) for e in enterprises), key=lambda pair: pair[0], reverse=True)
    return [e for (shared, ratio), e in scored if ratio >= 0.3 and shared >= 0.5][:limit]


def is_exact(enterprise: Enterprise, text: str) -> bool:
    """Tell whether the text is the enterprise's full name or one of its aliases (width and case aside)."""
    needle = unicodedata.normalize("NFKC", text).strip().lower()
    return needle in [unicodedata.normalize("NFKC", n).lower() for n in (enterprise.name, *enterprise.aliases)]


async def add_enterprise(
    session: AsyncSession,
    *,
    name: str,
    aliases: list[str],
    industry: str | None,
    actor: Person | None,
    at: datetime,
) -> Enterprise | None:
    """Create an enterprise; None when the name is already taken (also by an add at the same moment)."""
    if await session.scalar(select(Enterprise).where(Enterprise.name == name)) is not None:
        return None
    new_id = await session.scalar(
        dialect_insert(session)(Enterprise)
        .values(name=name, aliases=aliases, industry=industry, active=True, created_at=at)
        .on_conflict_do_nothing(index_elements=[Enterprise.name])
        .returning(Enterprise.id)
    )
    enterprise = await session.get(Enterprise, new_id) if new_id is not None else None
    if enterprise is None:
        return None
    await audit(session, at, actor, "enterprise.add", "enterprise", enterprise.id, name=name, aliases=aliases)
    return enterprise


async def import_enterprises(
    session: AsyncSession, rows: list[dict[str, Any]], at: datetime
) -> tuple[int, int]:
    """Create or update enterprises by name; return (created, updated)."""
    created = updated = 0
    for row in rows:
        existing = await session.scalar(select(Enterprise).where(Enterprise.name == row["name"]))
        if existing is None:
            session.add(
                Enterprise(
                    name=row["name"],
                    aliases=row["aliases"],
                    industry=row["industry"],
                    active=row["active"],
                    created_at=at,
                )
            )
            created += 1
        else:
            existing.aliases = row["aliases"]
            existing.industry = row["industry"]
            existing.active = row["active"]
            updated += 1
    await session.flush()
    await audit(session, at, None, "enterprise.import", "enterprise", None, created=created, updated=updated)
    return created, updated
