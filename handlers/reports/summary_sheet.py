"""The export's sheet of the year-end summary (年度汇总): the data table the summary states, then each
section's month-by-month table, so the workbook a clerk files carries every figure of the summary.

Written into the ledger's write-only workbook (`ledger_xlsx.py`); the figures come from
`domain/reports/year.py` and the words from `summary.py`, as the chat and the Word document say them.
"""

from __future__ import annotations

from typing import Any

from domain.reports.year import YearSummary
from handlers import texts as T
from handlers.reports.summary import figure_rows, month_columns, month_labels
from handlers.xlsx import safe_row, text_cell


def _value(text: str) -> int | str:
    """Return a figure as a number where it is one (so a clerk can add it up), else as printed (50%, 1/45)."""
    return int(text) if text.isascii() and text.isdigit() else text


def write_summary_sheet(wb: Any, y: YearSummary, title: str) -> None:
    """Append the sheet to a write-only workbook: the figures, then the months of each section."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(T.XLSX_SUMMARY_SHEET)
    ws.column_dimensions["A"].width = 34
    for column in "BCDEFGHI":
        ws.column_dimensions[column].width = 12
    ws.freeze_panes = "A3"

    def bold(value: str) -> Any:
        cell = text_cell(ws, value)
        cell.font = Font(bold=True)
        return cell

    ws.append([bold(title)])
    ws.append([bold(h) for h in T.XLSX_SUMMARY_HEAD])
    for label, value in figure_rows(y):
        ws.append(safe_row(ws, [label, _value(value)]))
    labels = month_labels(y.months)
    for section, heading in enumerate(T.SUMMARY_SECTIONS if y.months else ()):
        columns = month_columns(y, section)
        ws.append([])
        ws.append([bold(heading)])
        ws.append([bold(T.DOCX_MONTH_HEAD), *(bold(label) for label, _ in columns)])
        for i, month in enumerate(labels):
            ws.append(safe_row(ws, [month, *(values[i] for _, values in columns)]))
        ws.append([bold(T.DOCX_TOTAL), *(sum(values) for _, values in columns)])
