"""The Excel ledger (隐患台账): sheet 1 the ledger, sheet 2 the statistics, sheet 3 campaigns, sheet 4 meetings
and documents by kind (`notices_sheet.py`), sheet 5 the letters (`letters_sheet.py`), sheet 6 the year-end
summary's figures and months (`summary_sheet.py`), sheet 7 the check.

Written with openpyxl in write-only mode, a page of hazards at a time (each page appended in a worker
thread), so memory stays flat however many hazards a district has. Dates are real dates, columns have
widths, the header row is frozen and repeats on every printed page; the title row states the chain head
so a printed ledger can be checked against the database later (`safetybot ledger verify`).

A clerk files it on paper: every sheet prints on A4 landscape, one page wide, with the header row on
each page and 第 N 页 共 M 页 in the footer; descriptions, locations and measures wrap in their columns;
the ledger ends with a 制表人 / 审核人 / 日期 line to sign.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from domain.hazards import chain
from domain.reports import export
from domain.reports import queries as report_queries
from domain.reports import rules as report_rules
from domain.reports.export import EnterpriseStats, LedgerRow
from domain.reports.rules import funds_in_10k
from domain.reports.year import year_summary
from handlers import texts as T
from handlers.reports.letters_sheet import write_letters_sheet
from handlers.reports.notices_sheet import write_notices_sheet
from handlers.reports.summary_sheet import write_summary_sheet
from handlers.reports.supplies_sheet import write_supplies_sheet
from handlers.xlsx import safe_row, text_cell
from storage.photos import small_jpeg

DATE_FORMAT = "yyyy-mm-dd"
# A ledger of up to this many hazards shows each row's first before and after photo in the sheet (a small
# JPEG, about 3 KB); a longer one is written in openpyxl's streaming mode, which holds no pictures, and
# links them as every ledger does.
EMBED_ROWS = 2000
THUMB = (96, 96)
THUMB_ROW_HEIGHT = 60  # points: the picture's rows are this tall
PHOTO_COLUMNS = (20, 21)  # 整改前照片, 整改后照片 (1-based, as in T.XLSX_LEDGER_HEADERS)
PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the file, how many hazards, and the chain head it states."""

    path: Path
    hazards: int
    head: chain.Head


def period_name(start: date, end: date) -> str:
    """Return 2026年 for a whole year, else 2026-01-01至2026-06-30."""
    if start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return T.EXPORT_PERIOD_YEAR.format(year=start.year)
    return T.EXPORT_PERIOD_RANGE.format(start=start.isoformat(), end=end.isoformat())


def head_text(head: chain.Head) -> str:
    """Return the chain head as printed: #event-id and the hash."""
    return f"#{head.event_id} {head.hash}" if head.hash else T.XLSX_NO_CHAIN


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _setup(ws: Any, widths: list[int], title_rows: int = 2) -> None:
    """Set column widths, freeze the header, repeat it on each printed page, print A4 landscape one page
    wide with page numbers in the footer."""
    from openpyxl.worksheet.worksheet import Worksheet

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[_col(i)].width = width
    ws.freeze_panes = f"A{title_rows + 1}"
    ws.print_title_rows = f"{title_rows}:{title_rows}"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = T.XLSX_PAGE_FOOTER
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def _cell(
    ws: Any,
    value: Any,
    *,
    number_format: str | None = None,
    bold: bool = False,
    link: str | None = None,
    wrap: bool = False,
) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    c = text_cell(ws, value) if isinstance(value, str) else WriteOnlyCell(ws, value=value)
    if wrap:
        c.alignment = Alignment(wrap_text=True, vertical="top")
    if number_format:
        c.number_format = number_format
    if bold:
        c.font = Font(bold=True)
    if link:
        c.hyperlink = link
        c.font = Font(color="0563C1", underline="single")
    return c


def _header(ws: Any, title: str, headers: tuple[tuple[str, int], ...]) -> None:
    _setup(ws, [w for _, w in headers])
    ws.append([_cell(ws, title, bold=True)])
    ws.append([_cell(ws, h, bold=True) for h, _ in headers])


def _day(at: datetime | None, tz: Any) -> date | None:
    return at.astimezone(tz).date() if at is not None else None


def _photo_cell(ws: Any, root: Path, paths: list[str], desk: str | None) -> Any:
    """Link a row's photos: to the hazard's page on the web desk when it has an address (a clerk's copy of
    the file opens them after signing in), else to the first photo on the server's disk."""
    if not paths:
        return None
    target = desk or (root / paths[0]).resolve().as_uri()
    return _cell(ws, T.XLSX_PHOTO_LINK.format(count=len(paths)), link=target)


def _source(r: LedgerRow) -> str:
    """Return the 来源 of a row: 随手拍, 专家 or 检查, with the inspection or campaign it was found in."""
    source = T.XLSX_SOURCE_NAMES[r.found_by]
    source = T.XLSX_SOURCE_IN.format(source=source, activity=r.activity) if r.activity else source
    return source + (T.BACKFILL_TAG if r.backfilled else "")


def _wrapped(ws: Any, text: str | None) -> Any:
    """Return a text cell that wraps in its column (None stays empty)."""
    return _cell(ws, text, wrap=True) if text else None


def _embed(ws: Any, row: int, root: Path, r: LedgerRow) -> None:
    """Put the row's first before and after photo into their cells (a sheet not in streaming mode)."""
    from openpyxl.drawing.image import Image as SheetImage

    shown = False
    for column, paths in zip(PHOTO_COLUMNS, (r.before, r.after), strict=True):
        if not paths:
            continue
        try:
            data = small_jpeg(root / paths[0], THUMB)
        except (OSError, ValueError):  # a file gone from disk (or unreadable): the link still says so
            continue
        picture = SheetImage(io.BytesIO(data))
        ws.add_image(picture, f"{_col(column)}{row}")
        shown = True
    if shown:
        ws.row_dimensions[row].height = THUMB_ROW_HEIGHT


def _save(wb: Any, path: Path, embed: bool) -> None:
    """Save the workbook. Cells are made before they have a place (the streaming mode's way); a sheet not
    in streaming mode then holds their links under the wrong address, so they are set again in place."""
    if embed:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.hyperlink is not None and cell.hyperlink.ref != cell.coordinate:
                        cell.hyperlink = cell.hyperlink.target
    wb.save(path)


def _ledger_rows(
    ws: Any, rows: list[LedgerRow], first: int, tz: Any, root: Path, base_url: str = "", embed: bool = False
) -> None:
    for n, r in enumerate(rows, start=first):
        desk = f"{base_url}/hazards/{r.code}" if base_url else None
        five = r.five
        measures = five.get("measures") or r.fix_note
        funds = funds_in_10k(five.get("funds")) if five.get("funds") else None
        ws.append(
            safe_row(
                ws,
                [
                    n,
                    r.code,
                    _cell(ws, _day(r.found_at, tz), number_format=DATE_FORMAT),
                    _wrapped(ws, r.enterprise),
                    _wrapped(ws, r.location),
                    _wrapped(ws, r.description),
                    _source(r),
                    r.reporter,
                    T.CATEGORY_NAMES.get(r.category, r.category),
                    T.LEVEL_NAMES[r.level],
                    T.MODE_NAMES.get(r.mode, T.MODE_NAMES[None]),
                    _wrapped(ws, measures),
                    funds,
                    five.get("responsible") or r.fixer,
                    _cell(ws, r.due_date, number_format=DATE_FORMAT),
                    _cell(ws, _day(r.fixed_at, tz), number_format=DATE_FORMAT),
                    r.verifier,
                    _cell(ws, _day(r.verified_at, tz), number_format=DATE_FORMAT),
                    T.STATUS_NAMES[r.status],
                    _photo_cell(ws, root, r.before, desk),
                    _photo_cell(ws, root, r.after, desk),
                    r.officer or None,
                ],
            )
        )
        if embed:
            _embed(ws, ws.max_row, root, r)


def _stats_rows(ws: Any, stats: list[EnterpriseStats]) -> None:
    total = EnterpriseStats(T.XLSX_STATS_TOTAL)
    for s in stats:
        for attr in (
            "general_found",
            "general_rectified",
            "major_found",
            "major_rectified",
            "major_with_plan",
            "major_funds",
        ):
            setattr(total, attr, getattr(total, attr) + getattr(s, attr))
    for s in [*stats, total]:
        bold = s is total
        ws.append(
            [
                _cell(ws, s.enterprise, bold=bold),
                s.general_found,
                s.general_rectified,
                _cell(
                    ws,
                    EnterpriseStats.rate(s.general_rectified, s.general_found),
                    number_format=PERCENT_FORMAT,
                ),
                s.major_found,
                s.major_rectified,
                _cell(
                    ws, EnterpriseStats.rate(s.major_rectified, s.major_found), number_format=PERCENT_FORMAT
                ),
                s.major_with_plan,
                round(s.major_funds, 2),
            ]
        )


async def write_ledger(
    session: AsyncSession, settings: Settings, path: Path, start: date, end: date, now: datetime
) -> Exported:
    """Write the ledger workbook of hazards found on the park days `start` to `end` (inclusive) to `path`."""
    from openpyxl import Workbook

    tz = settings.park.tz
    s, e = report_rules.moment(start, tz), report_rules.moment(end + timedelta(days=1), tz)
    period = period_name(start, end)
    head = await chain.head(session)
    at = now.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    park = settings.park.name
    root = settings.storage.photo_dir
    embed = await export.ledger_count(session, s, e) <= EMBED_ROWS
    wb = Workbook(write_only=not embed)
    if embed:
        wb.remove(wb.active)  # a workbook not in streaming mode starts with a sheet of its own
    ledger = wb.create_sheet(T.XLSX_LEDGER_SHEET)
    _header(
        ledger,
        T.XLSX_LEDGER_TITLE.format(park=park, period=period, at=at, head=head_text(head)),
        T.XLSX_LEDGER_HEADERS,
    )
    count = 0
    async for page in export.ledger_pages(session, s, e):
        await asyncio.to_thread(_ledger_rows, ledger, page, count + 1, tz, root, settings.web.base_url, embed)
        count += len(page)
    ledger.append([])
    ledger.append([_cell(ledger, T.XLSX_SIGN_LINE)])
    stats_ws = wb.create_sheet(T.XLSX_STATS_SHEET)
    _header(stats_ws, T.XLSX_STATS_TITLE.format(park=park, period=period), T.XLSX_STATS_HEADERS)
    _stats_rows(stats_ws, await export.enterprise_stats(session, s, e))
    campaigns_ws = wb.create_sheet(T.XLSX_CAMPAIGN_SHEET)
    _header(campaigns_ws, T.XLSX_CAMPAIGN_TITLE.format(park=park, period=period), T.XLSX_CAMPAIGN_HEADERS)
    campaign_rows = await report_queries.campaign_rows(session, s, e, start)
    if not campaign_rows:
        campaigns_ws.append(safe_row(campaigns_ws, [T.XLSX_CAMPAIGN_NONE]))
    for c in campaign_rows:
        campaigns_ws.append(
            safe_row(
                campaigns_ws,
                [
                    c.campaign + (T.BACKFILL_TAG if c.backfilled else ""),
                    c.enterprise or T.XLSX_CAMPAIGN_NO_TASKS,
                    T.TASK_STATUS_NAMES[c.state] if c.state else "",
                    _cell(
                        campaigns_ws,
                        c.reported_at and c.reported_at.astimezone(tz).replace(tzinfo=None),
                        number_format="yyyy-mm-dd hh:mm",
                    ),
                ],
            )
        )
    await write_notices_sheet(wb, session, s, e, now, tz, T.XLSX_NOTICES_TITLE.format(park=park, period=period))
    letters_title = T.XLSX_LETTERS_TITLE.format(park=park, period=period)
    await write_letters_sheet(wb, session, start, end, tz, root, letters_title)
    today = settings.park.day(now)
    supplies_title = T.XLSX_SUPPLIES_TITLE.format(park=park, day=today.isoformat(), period=period)
    await write_supplies_sheet(wb, session, s, e, today, tz, root, supplies_title)
    figures = await year_summary(session, start, end, tz, now)
    write_summary_sheet(wb, figures, T.XLSX_SUMMARY_TITLE.format(park=park, period=period))
    check = wb.create_sheet(T.XLSX_CHECK_SHEET)
    check.column_dimensions["A"].width = 100
    for line in T.XLSX_CHECK_ROWS:
        check.append(
            safe_row(
                check, [line.format(event_id=head.event_id or "-", head=head.hash or T.XLSX_NO_CHAIN, at=at)]
            )
        )
    posted = await chain.last_anchor(session)
    if posted is None:
        check.append(safe_row(check, [T.XLSX_CHECK_NOT_POSTED]))
    else:
        when = posted.posted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        line = T.XLSX_CHECK_POSTED.format(short=posted.hash[: chain.SHORT], at=when, events=posted.events)
        check.append(safe_row(check, [line]))
    path.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(_save, wb, path, embed)
    return Exported(path, count, head)
