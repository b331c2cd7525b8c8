"""A small Excel writer for exports that are a table of text: one sheet, a bold wrapped header row that
stays frozen, column widths. Write-only (rows stream to the file), so it serves any size.

Blocking: call it in a worker thread (`asyncio.to_thread`). The campaigns matrix
(`handlers/campaigns/matrix.py`) writes with it; the hazard ledger keeps its own richer workbook
(`handlers/reports/ledger_xlsx.py`: dates, links, several sheets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path


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
    from openpyxl.cell import WriteOnlyCell
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
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
