"""The export's sheet of meetings and documents (会议与文件): how many of each kind, then each one counted.

Meetings held (by their time) and notices issued (by their date) in the period, as the summary counts them
(`domain/reports/queries.meetings_and_notices`), with the kind each has (例会, 动员会, … / 通知, 方案, …).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.reports import queries as report_queries
from handlers import texts as T
from handlers.xlsx import safe_row, text_cell
from storage.enums import DOCUMENT_CATEGORIES, MEETING_CATEGORIES


async def write_notices_sheet(
    wb: Any, session: AsyncSession, start: datetime, end: datetime, now: datetime, tz: tzinfo, title: str
) -> None:
    """Append the sheet to a write-only workbook: the counts by kind, then every meeting and notice."""
    from openpyxl.styles import Font

    meetings, notices = await report_queries.meetings_and_notices(session, start, end, now)
    ws = wb.create_sheet(T.XLSX_NOTICES_SHEET)
    for i, (_, width) in enumerate(T.XLSX_NOTICES_HEADERS):
        ws.column_dimensions["ABCD"[i]].width = width

    def bold(value: str) -> Any:
        cell = text_cell(ws, value)
        cell.font = Font(bold=True)
        return cell

    ws.append([bold(title)])
    ws.append([bold(h) for h, _ in T.XLSX_NOTICES_COUNTS])
    held = Counter(str(n.category) for n in meetings)
    issued = Counter(str(n.category) for n in notices)
    for c in MEETING_CATEGORIES:
        ws.append(safe_row(ws, [T.XLSX_NOTICES_MEETINGS.format(name=T.NOTICE_CATEGORY_NAMES[c]), held[c]]))
    for c in DOCUMENT_CATEGORIES:
        ws.append(safe_row(ws, [T.XLSX_NOTICES_DOCUMENTS.format(name=T.NOTICE_CATEGORY_NAMES[c]), issued[c]]))
    ws.append([])
    ws.append([bold(h) for h, _ in T.XLSX_NOTICES_HEADERS])
    if not meetings and not notices:
        ws.append(safe_row(ws, [T.XLSX_NOTICES_NONE]))
    for n in [*meetings, *notices]:
        at = n.starts_at if n.starts_at is not None else n.created_at
        day = at.astimezone(tz).strftime("%Y-%m-%d")
        title = n.title + (T.BACKFILL_TAG if n.backfilled_at is not None else "")
        ws.append(safe_row(ws, [n.code, T.NOTICE_CATEGORY_NAMES[n.category], title, day]))
