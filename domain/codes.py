"""Codes people read and type, for every subject: `YH-2026-0007` (hazards), `HY-`/`TZ-2026-03` (meetings
and notices), `ZX-2026-02` (campaigns).

One counter row per prefix and year (`code_counters`), taken under a row lock, so codes have no gaps
and concurrent issuers queue. The subjects' operations (`domain/hazards/operations.py`,
`domain/notices/operations.py`, `domain/campaigns/operations.py`) issue them; their queries read a
typed code back through `normal_code`.
"""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.enums import NoticeKind
from storage.models import CodeCounter

HAZARD_PREFIX = "YH"
PREFIXES = {NoticeKind.MEETING: "HY", NoticeKind.NOTICE: "TZ"}
# How many digits a number is written with, and the most a typed one may have, per prefix.
WIDTHS = {HAZARD_PREFIX: 4, "HY": 2, "TZ": 2, "ZX": 2}
TYPED_DIGITS = {HAZARD_PREFIX: 6, "HY": 4, "TZ": 4, "ZX": 4}
CODE_RE = re.compile(r"(YH|HY|TZ|ZX)-(\d{4})-0*(\d{1,6})", re.IGNORECASE)


async def issue_code(session: AsyncSession, prefix: str, year: int) -> str:
    """Issue the next `<prefix>-<year>-<nn>` code (YH, HY, TZ, ZX); the counter row lock makes issuers queue."""
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
    return f"{prefix}-{year}-{last:0{WIDTHS[prefix]}d}"


def normal_code(text: str) -> str | None:
    """Return a code in its stored form (`yh-2026-7` → `YH-2026-0007`, `hy-2026-3` → `HY-2026-03`), or None."""
    match = CODE_RE.fullmatch(text.strip())
    if match is None:
        return None
    prefix, number = match.group(1).upper(), match.group(3)
    if len(number) > TYPED_DIGITS[prefix]:
        return None
    return f"{prefix}-{match.group(2)}-{int(number):0{WIDTHS[prefix]}d}"
