"""The export's sheet of responsibility letters (目标责任状): for each letter of the period's years, every
enterprise with whether it signed, when, who returned it, and a link to the signed scan (the stored file).
"""

from __future__ import annotations

from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.letters import queries as letter_queries
from domain.letters.rules import is_signed
from domain.park.queries import get_person
from handlers import texts as T
from handlers.xlsx import safe_row, text_cell
from storage.attachments import files


def _link(ws: Any, label: str, path: Path) -> Any:
    from openpyxl.styles import Font

    cell = text_cell(ws, label)
    cell.hyperlink = path.resolve().as_uri()
    cell.font = Font(color="0563C1", underline="single")
    return cell


async def write_letters_sheet(
    wb: Any, session: AsyncSession, start: date, end: date, tz: tzinfo, root: Path, title: str
) -> None:
    """Append the sheet to a write-only workbook: one row per enterprise and letter of the years `start`–`end`."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(T.XLSX_LETTERS_SHEET)
    for i, (_, width) in enumerate(T.XLSX_LETTERS_HEADERS):
        ws.column_dimensions["ABCDEF"[i]].width = width
    heading = text_cell(ws, title)
    heading.font = Font(bold=True)
    ws.append([heading])
    ws.append(safe_row(ws, [h for h, _ in T.XLSX_LETTERS_HEADERS]))
    letters = await letter_queries.of_years(session, start.year, end.year)
    if not letters:
        ws.append(safe_row(ws, [T.XLSX_LETTERS_NONE]))
    for letter in letters:
        for s in await letter_queries.signatures(session, letter.id):
            if not is_signed(s):
                ws.append(safe_row(ws, [letter.year, s.enterprise.name, T.XLSX_LETTERS_UNSIGNED]))
                continue
            person = await get_person(session, s.person_id) if s.person_id is not None else None
            when = s.signed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if s.signed_at else ""
            row = [
                letter.year,
                s.enterprise.name,
                T.XLSX_LETTERS_SIGNED,
                when,
                person.display_name if person else "",
            ]
            scans = await files(session, "signature", s.id)
            documents = [f.document for f in scans if f.document is not None]
            photos = [f.photo for f in scans if f.photo is not None]
            if documents:
                row.append(
                    _link(
                        ws, T.XLSX_LETTERS_FILE.format(name=documents[0].file_name), root / documents[0].path
                    )
                )
            elif photos:
                row.append(_link(ws, T.XLSX_LETTERS_PHOTO.format(count=len(photos)), root / photos[0].path))
            ws.append(safe_row(ws, row))
