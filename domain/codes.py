"""Codes people read and type: HY-/TZ-/ZX-2026-NN for notices and campaigns, counted per prefix and year."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.enums import NoticeKind
from storage.models import (
    CodeCounter,
)

PREFIXES = {NoticeKind.MEETING: "HY", NoticeKind.NOTICE: "TZ"}
CODE_RE = re.compile(r"(HY|TZ|ZX)-(\d{4})-0*(\d{1,4})", re.IGNORECASE)


# --- codes ------------------------------------------------------------------------------------


async def issue_code(session: AsyncSession, prefix: str, year: int) -> str:
    """Issue the next `<prefix>-<year>-<nn>` code (HY, TZ, ZX); the counter row lock makes issuers queue."""
    insert = dialect_insert(session)
    await session.execute(
        insert(CodeCounter).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing()
    )
    last = await session.scalar(
        update(CodeCounter)
        .where(CodeCounter.prefix == prefix, CodeCounter.year == year)
        .values(last=CodeCounter.last + 1)
        .returning(CodeCounter.last)
    )
    assert last is not None
    return f"{prefix}-{year}-{last:02d}"


def normal_code(text: str) -> str | None:
    """Return a notice or campaign code in its stored form (`hy-2026-3` → `HY-2026-03`), or None."""
    match = CODE_RE.fullmatch(text.strip())
    if match is None:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}-{int(match.group(3)):02d}"
