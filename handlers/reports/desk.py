"""The Excel ledger of a year for the web desk's `/export?year=`: the same workbook as `/export` in the chat
(`handlers/reports/ledger_xlsx.write_ledger`), written on a long read (no write lock). `bot/app.py` hands
this to the desk (`bot/web/`), which may not import handlers.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from bot.config import Settings
from handlers import texts as T
from handlers.reports.ledger_xlsx import period_name, write_ledger
from storage.db import Database


async def ledger_of_year(db: Database, settings: Settings, year: int, now: datetime) -> tuple[Path, str]:
    """Write the year's ledger workbook; return its path and the name it is downloaded under."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    path = settings.storage.new_report_path("ledger", ".xlsx", now.astimezone(settings.park.tz))
    try:
        async with db.reading(long=True) as session:
            await write_ledger(session, settings, path, start, end, now)
    except BaseException:
        path.unlink(missing_ok=True)  # never a partial workbook left behind
        raise
    return path, T.EXPORT_FILE_NAME.format(period=period_name(start, end))
