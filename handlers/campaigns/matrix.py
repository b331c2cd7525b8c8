"""The campaigns matrix (/campaigns): campaigns × enterprises, phone-readable text and, with many
enterprises or on request, an Excel file (`handlers/xlsx.py`). It names enterprises, so it is only
sent privately.

The figures are `domain/campaigns/queries.py` (progress, matrix); overdue is `domain/campaigns/rules.py`.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Incoming, Reply
from bot.routing import HandlerResult, Router
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import is_overdue
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import privately
from handlers.util import Reach, is_disk_full
from handlers.xlsx import write_table
from storage.models import Campaign, CampaignTask, Person

router = Router("campaigns.matrix")

MATRIX_TEXT_ENTERPRISES = 20  # more enterprises than this: the matrix also comes as an Excel file
MATRIX_CAMPAIGNS = 9
NUMBERS = "①②③④⑤⑥⑦⑧⑨"
EXCEL_WORDS = ("excel", "xlsx", "表格", "文件")


def _symbol(task: CampaignTask | None, campaign: Campaign, today: date) -> str:
    """Return a task's cell in the text matrix: its status symbol, ⚠️ when overdue, － without a task."""
    if task is None:
        return "－"
    if is_overdue(task, campaign, today):
        return T.TASK_SYMBOLS["overdue"]
    return T.TASK_SYMBOLS[task.status]


def _status(task: CampaignTask | None, campaign: Campaign, today: date) -> str:
    """Return a task's cell in the Excel matrix: its status in words, （逾期） when overdue."""
    if task is None:
        return "－"
    return T.TASK_STATUS_NAMES[task.status] + ("（逾期）" if is_overdue(task, campaign, today) else "")


async def matrix_text(session: AsyncSession, shown: list[Campaign], today: date) -> tuple[str, int]:
    """Return the campaigns × enterprises matrix as phone-readable text, and how many enterprises it has."""
    ents, cells = await campaign_queries.matrix(session, shown)
    lines = [T.CAMPAIGNS_HEADER.format(count=len(shown), enterprises=len(ents))]
    for n, c in zip(NUMBERS, shown, strict=False):
        p = await campaign_queries.progress(session, c, today)
        overdue = T.CAMPAIGNS_OVERDUE.format(count=p.overdue) if p.overdue else ""
        lines.append(
            T.CAMPAIGNS_LINE.format(
                n=n,
                code=c.code,
                title=c.title,
                due=c.due_date.strftime("%m-%d"),
                submitted=p.submitted,
                total=p.total,
                accepted=p.accepted,
                overdue=overdue,
            )
        )
    lines.append(T.CAMPAIGNS_LEGEND)
    for e in ents[:MATRIX_TEXT_ENTERPRISES]:
        row = " ".join(
            f"{n}{_symbol(cells.get((c.id, e.id)), c, today)}" for n, c in zip(NUMBERS, shown, strict=False)
        )
        lines.append(T.CAMPAIGNS_ROW.format(enterprise=e.aliases[0] if e.aliases else e.name, cells=row))
    return "\n".join(lines), len(ents)


async def write_matrix(
    session: AsyncSession, campaigns: list[Campaign], settings: Settings, now: datetime
) -> tuple[Path, str]:
    """Write the matrix of the campaigns as an Excel file (one row per enterprise); return it and its name."""
    today = settings.park.day(now)
    ents, cells = await campaign_queries.matrix(session, campaigns)
    rows = [[e.name, *(_status(cells.get((c.id, e.id)), c, today) for c in campaigns)] for e in ents]
    header = [T.CAMPAIGNS_COL_ENTERPRISE, *(f"{c.code}\n{c.title}" for c in campaigns)]
    path = settings.storage.new_report_path("campaigns", ".xlsx", now.astimezone(settings.park.tz))
    await asyncio.to_thread(
        write_table, path, sheet=T.CAMPAIGNS_SHEET, header=header, rows=rows, widths=(28,), freeze="B2"
    )
    return path, matrix_file_name(campaigns, today)


def matrix_file_name(campaigns: list[Campaign], today: date) -> str:
    """Return the name the matrix file is sent under: Chinese, naming the campaign (or the first and how many)."""
    if len(campaigns) == 1:
        named = campaigns[0].title
    else:
        named = T.CAMPAIGNS_FILE_SEVERAL.format(title=campaigns[0].title, count=len(campaigns))
    safe = "".join("_" if ch in '\\/:*?"<>|' or not ch.isprintable() else ch for ch in named).strip()[:40]
    return T.CAMPAIGNS_FILE_NAME.format(campaigns=safe, date=today.isoformat())


@router.command("campaigns", perm=Perm.CAMPAIGN_SEND, help_text=T.HELP["campaigns"], read_only=True)
async def campaigns(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, reach: Reach
) -> HandlerResult:
    """Send the progress matrix (campaigns × enterprises) privately; with many enterprises (or `excel`) also as a file."""
    today = settings.park.day(now)
    year_start = datetime(today.year, 1, 1, tzinfo=settings.park.tz)
    this_year = {c.id: c for c in await campaign_queries.launched_since(session, year_start)}
    still_open = {c.id: c for c in await campaign_queries.open_campaigns(session)}  # last year's, not yet closed
    everything = [c for _, c in sorted({**still_open, **this_year}.items())]
    if not everything:
        return Reply(text=T.CAMPAIGNS_EMPTY)
    text, count = await matrix_text(session, everything[-MATRIX_CAMPAIGNS:], today)
    reply = Reply(text=text)
    if count > MATRIX_TEXT_ENTERPRISES or msg.args.strip().lower() in EXCEL_WORDS:
        extra = f"\n{T.CAMPAIGNS_FILE}" if count > MATRIX_TEXT_ENTERPRISES else ""
        try:
            path, name = await write_matrix(session, everything, settings, now)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            return privately(actor, msg.chat, reach, Reply(text=f"{text}\n{T.DISK_FULL}"))
        reply = Reply(text=text + extra, documents=(path,), document_names=(name,))
    return privately(actor, msg.chat, reach, reply)
