"""The year-end summary as a Word document a clerk edits (python-docx): the title, each section's paragraph
with its month-by-month table, the data table, the weekly-trend chart and a table of the enterprises.

python-docx (with lxml) is imported inside `write_summary_docx` only, when a document is made, never at bot
start or on the per-update path. Blocking: call it in a worker thread (`asyncio.to_thread`), as the chart
(`charts.trend_chart`) is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from domain.reports.year import EnterpriseYear, YearSummary
from handlers import texts as T
from handlers.reports.summary import figure_rows, month_columns, month_labels, sections

FONT = "宋体"  # SimSun: what a committee's documents are set in; Word substitutes where it is missing
HEADING_FONT = "黑体"


def _east_asian(style: Any, name: str) -> None:
    """Set a style's font for Latin and East Asian text (Word reads the CJK font from `w:eastAsia`)."""
    from docx.oxml.ns import qn

    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _table(doc: Any, head: Sequence[str], rows: Sequence[Sequence[Any]], bold_last: bool = False) -> Any:
    """Add a bordered table: a bold header row, then the rows (numbers as text, right as Word shows them)."""
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(str(text)).bold = True
    for n, row in enumerate(rows, start=1):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run("" if value is None else str(value))
            run.bold = bold_last and n == len(rows)
    return table


def _month_table(doc: Any, y: YearSummary, section: int) -> None:
    """Add a section's month-by-month table: a row per month, a column per series, the totals last."""
    columns = month_columns(y, section)
    labels = month_labels(y.months)
    rows: list[list[Any]] = [[labels[i], *(values[i] for _, values in columns)] for i in range(len(labels))]
    rows.append([T.DOCX_TOTAL, *(sum(values) for _, values in columns)])
    _table(doc, [T.DOCX_MONTH_HEAD, *(label for label, _ in columns)], rows, bold_last=True)


def _enterprise_row(e: EnterpriseYear, tz: tzinfo) -> list[str]:
    letter = T.DOCX_SIGNED.format(day=e.signed_at.astimezone(tz).date().isoformat()) if e.signed_at else T.DOCX_UNSIGNED
    return [
        e.name,
        e.officer or T.DOCX_NO_OFFICER,
        str(e.found),
        str(e.closed),
        T.DOCX_FRACTION.format(done=e.receipts_answered, total=e.receipts_due),
        T.DOCX_FRACTION.format(done=e.reports_submitted, total=e.reports_due),
        letter,
    ]


def write_summary_docx(
    y: YearSummary, *, park: str, year: int | None, path: Path, chart: Path | None, now: datetime, tz: tzinfo
) -> Path:
    """Write the drafted summary to `path` (.docx); `chart` is the weekly-trend picture, None when not drawn."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    normal = doc.styles["Normal"]
    _east_asian(normal, FONT)
    normal.font.size = Pt(12)
    for name in ("Title", "Heading 1"):
        _east_asian(doc.styles[name], HEADING_FONT)
    f = y.figures
    if year is not None:
        heading = T.DOCX_TITLE_YEAR.format(park=park, year=year)
    else:
        heading = T.DOCX_TITLE_RANGE.format(park=park, start=f.start.isoformat(), end=f.end.isoformat())
    doc.add_heading(heading, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(T.DOCX_SUBTITLE.format(at=now.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    for i, (title, text) in enumerate(sections(y)):
        doc.add_heading(title, level=1)
        body = doc.add_paragraph(text)
        body.paragraph_format.first_line_indent = Pt(24)  # two characters, as a Chinese document is set
        if y.months:
            _month_table(doc, y, i)
    doc.add_heading(T.DOCX_FIGURES, level=1)
    _table(doc, T.DOCX_FIGURES_HEAD, figure_rows(y))
    doc.add_heading(T.DOCX_TREND, level=1)
    if chart is not None:
        doc.add_picture(str(chart), width=Cm(16))
    else:  # nothing to draw, or the drawing failed: the document still goes out, saying which
        quiet = not any(found or closed for _, found, closed in y.trend)
        doc.add_paragraph(T.DOCX_TREND_NONE if quiet else T.DOCX_TREND_FAILED)
    doc.add_heading(T.DOCX_ENTERPRISES, level=1)
    _table(doc, T.DOCX_ENTERPRISE_HEAD, [_enterprise_row(e, tz) for e in y.per_enterprise])
    doc.add_paragraph(T.SUMMARY_NOTE)
    doc.add_paragraph(T.SUMMARY_DATES_NOTE)
    if not y.months:
        doc.add_paragraph(T.SUMMARY_NO_MONTHS)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
