"""A small Excel writer for exports that are a table of text: one sheet, a bold wrapped header row that
stays frozen, column widths. Write-only (rows stream to the file), so it serves any size.

Every cell written from text goes through `text_cell`: an explicit string cell, never a formula, so a
description like `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` shows exactly as typed (issue: formula
injection). `safe_row` applies it to a row; the hazard ledger's workbook uses the same two.

Blocking: call it in a worker thread (`asyncio.to_thread`). The campaigns matrix
(`handlers/campaigns/matrix.py`) writes with it; the hazard ledger keeps its own richer workbook
(`handlers/reports/ledger_xlsx.py`: dates, links, several sheets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# Marks a spreadsheet does not show but that may stand before a formula sign: zero-width spaces and
# joiners, direction marks and embeddings, the byte-order mark.
INVISIBLE = dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF, 0x00AD])
FORMULA_SIGNS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Tell whether a text would start a formula in a spreadsheet once its invisible marks are dropped."""
    return text.translate(INVISIBLE).lstrip(" ").startswith(FORMULA_SIGNS)


def text_cell(ws: Any, value: str) -> Any:
    """Return a write-only cell that holds `value` as text, never as a formula.

    The cell is an explicit string (inline string in the file); a text that looks like a formula also
    gets Excel's quote prefix (the leading apostrophe), so editing the cell later keeps it text.
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    if looks_like_formula(value):
        cell.quotePrefix = True
    return cell


def safe_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """Return a row with every plain text turned into a `text_cell` (numbers, dates and cells kept)."""
    return [text_cell(ws, v) if isinstance(v, str) else v for v in values]


def write_table(
    path: Path,
    *,
    sheet: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    widths: Sequence[float | None] = (),
    freeze: str = "A2",
) -> Path:
    """Write a one-sheet workbook of text cells: the header row in bold, `widths` for the first columns
    (None: Excel's default), the panes frozen at `freeze` (the header stays in view)."""
    from openpyxl import Workbook  # only when a table is exported: not on the per-update path
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for i, width in enumerate(widths, start=1):
        if width is not None:
            ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = freeze
    head = []
    for text in header:
        cell = text_cell(ws, text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append(safe_row(ws, row))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        book.save(path)
    except BaseException:
        path.unlink(missing_ok=True)  # never a partial workbook left behind (a full disk)
        raise
    return path
