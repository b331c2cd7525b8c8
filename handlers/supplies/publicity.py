"""Publicity (宣传) in the chat: `/publicity 宣传单页 2000 份、横幅 20 幅 6月16日` records what was distributed
or hung (managers), read forgivingly (`domain/publicity/rules.parse`); `/publicity` alone lists the year's
totals per item, `/publicity 2025` another year's. Counted in the year-end summary
(`domain/publicity/queries.publicity_totals`)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.outcome import Refused
from domain.park.rules import Perm
from domain.publicity import operations as publicity_ops
from domain.publicity import queries as publicity_queries
from domain.publicity.rules import Parsed, parse
from handlers import texts as T
from handlers.util import fmt_date
from storage.models import Person

router = Router("supplies.publicity")

YEAR_RE = re.compile(r"(\d{4})\s*年?")


def totals_line(item: str, count: int, unit: str) -> str:
    """Say one item's total: 宣传单页 5000 份."""
    return T.PUBLICITY_TOTAL_LINE.format(item=item, count=count, unit=unit)


@router.command("publicity", perm=Perm.PUBLICITY_RECORD, help_text=T.HELP["publicity"])
async def publicity(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Record publicity, or (no words, or a year) list a year's totals."""
    text = clean_text(msg.args, 300)
    today = settings.park.day(now)
    year = today.year
    if text and (m := YEAR_RE.fullmatch(text)) and 2000 <= int(m[1]) <= 2100:
        year, text = int(m[1]), ""
    if not text:
        totals = await publicity_queries.year_totals(session, year)
        if not totals:
            return Reply(text=T.PUBLICITY_NONE.format(year=year) + "\n" + T.PUBLICITY_USAGE)
        lines = [T.PUBLICITY_TOTALS_TITLE.format(year=year)]
        lines += [totals_line(t.item, t.count, t.unit) + T.PUBLICITY_RECORDS.format(count=t.records) for t in totals]
        return Reply(text="\n".join(lines))
    parsed = parse(text, today)
    if not isinstance(parsed, Parsed):
        said = T.PUBLICITY_PROBLEMS[parsed.problem].format(text=parsed.part)
        return Reply(text=f"{said}\n{T.PUBLICITY_USAGE}")
    try:
        await publicity_ops.record(session, parsed, actor, now)
    except Refused:
        return Reply(text=T.PUBLICITY_ONLY_MANAGERS)
    items = "、".join(totals_line(e.item, e.count, e.unit) for e in parsed.entries)
    return Reply(text=T.PUBLICITY_RECORDED.format(day=fmt_date(parsed.day), items=items, year=parsed.day.year))


