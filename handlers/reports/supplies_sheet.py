"""The export's sheet of emergency supplies (应急物资): every listed item with its place, cycle, expiry, next
check and status on the export day, its responsible person, its latest check (a link to the photo on disk)
and how many checks the period had. The figures come from `domain/supplies/queries.py`.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.supplies import queries as supply_queries
from domain.supplies.rules import code_of, falls_within, overdue_days
from handlers import texts as T
from handlers.xlsx import safe_row, text_cell
from storage.attachments import files

COLUMNS = "ABCDEFGHIJKLM"


def _link(ws: Any, label: str, path: Path) -> Any:
    from openpyxl.styles import Font

    cell = text_cell(ws, label)
    cell.hyperlink = path.resolve().as_uri()
    cell.font = Font(color="0563C1", underline="single")
    return cell


async def write_supplies_sheet(
    wb: Any,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    today: date,
    tz: tzinfo,
    root: Path,
    title: str,
) -> None:
    """Append the sheet to a write-only workbook: one row per listed item; checks counted from `start` to `end`."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(T.XLSX_SUPPLIES_SHEET)
    for i, (_, width) in enumerate(T.XLSX_SUPPLIES_HEADERS):
        ws.column_dimensions[COLUMNS[i]].width = width
    heading = text_cell(ws, title)
    heading.font = Font(bold=True)
    ws.append([heading])
    ws.append(safe_row(ws, [h for h, _ in T.XLSX_SUPPLIES_HEADERS]))
    items = await supply_queries.listed(session)
    if not items:
        ws.append(safe_row(ws, [T.XLSX_SUPPLIES_NONE]))
    for s in items:
        due = supply_queries.due(s)
        status = T.XLSX_SUPPLIES_OK
        if due is not None and (late := overdue_days(due, today)):
            status = T.XLSX_SUPPLIES_LATE.format(days=late)
        elif due is not None and falls_within(due, today):
            status = T.XLSX_SUPPLIES_SOON
        where = s.enterprise.name if s.enterprise is not None else T.SUPPLY_PARK_STORE
        checks = await supply_queries.checks_of(session, s.id, limit=1000)
        in_period = [c for c in checks if start <= c.at < end]
        latest = checks[0] if checks else None
        row: list[Any] = [
            code_of(s.id),
            s.name,
            s.quantity,
            s.unit or "",
            f"{where} {s.place}" if s.place else where,
            T.SUPPLY_CYCLE_NAMES[s.cycle] if s.cycle is not None else T.SUPPLY_NO_CYCLE,
            s.expires_on.isoformat() if s.expires_on else "",
            s.next_check.isoformat() if s.next_check else "",
            status,
            s.responsible.display_name if s.responsible is not None else "",
            latest.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if latest is not None else "",
            len(in_period),
        ]
        if latest is not None:
            photos = [f.photo for f in await files(session, "supply_check", latest.id) if f.photo is not None]
            if photos:
                row.append(_link(ws, T.XLSX_SUPPLIES_PHOTO.format(count=len(photos)), root / photos[0].path))
        ws.append(safe_row(ws, row))
