"""Time the weekly digest and the annual summary against hand-written aggregate SQL, and the export's memory.

On a database from bench/bigdb.py (default data/bench.db: 1,000,000 hazards, 500 enterprises, 10
years), each figure set is computed `--repeat` times (default 5) after one warm-up, and the median is
printed: the bot's own functions (`domain.reports.queries.week_figures`, `summary_figures`) and the same
figures from hand-written SQL (one statement per figure, the results assembled in plain Python) on the
same engine and connection. The digest is timed without its chart (drawn in a worker thread, the same
cost whatever the database size), and the chart on its own.

The export writes the ledger of `--export-days` days (default 90 and 365) with `tracemalloc` on: the
peak of Python allocations should not grow with the number of hazards (openpyxl write-only mode, pages
of 2,000 hazards). The last line printed is JSON with every figure.

Run: `.venv/bin/python bench/reports.py [--db data/bench.db]` (generate first: bench/bigdb.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import load_settings
from domain.hazards.rules import immediate_found_before
from domain.reports import queries as report_queries
from domain.reports import rules as report_rules
from domain.reports.year import year_summary
from storage.db import Database

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)  # bench/bigdb.py's "now" (a Monday)
NOW = datetime(2026, 11, 30, 1, tzinfo=UTC)  # that Monday, 09:00 park time


def ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def timed(repeat: int, fn: Callable[[], Awaitable[Any]]) -> float:
    """Return the median seconds of `repeat` runs after one warm-up."""
    await fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


async def digest_by_hand(session: AsyncSession, monday: date) -> dict[str, Any]:
    """The digest's figures from hand-written SQL: found, closed by mode, open at the end, overdue, majors, trend."""
    s, e = ts(report_rules.moment(monday, TZ)), ts(report_rules.moment(monday + timedelta(days=7), TZ))
    q = lambda sql, **kw: session.execute(text(sql), kw)  # noqa: E731
    # `enterprise_id + 0` and one statement per index, as a DBA would write them for SQLite's planner.
    found = (await q("SELECT enterprise_id + 0 AS e, count(*) FROM hazards WHERE found_at >= :s AND found_at < :e AND status != 'withdrawn' GROUP BY e", s=s, e=e)).all()
    closed = (await q("SELECT enterprise_id + 0 AS e, mode, count(*) FROM hazards WHERE closed_at >= :s AND closed_at < :e GROUP BY e, mode", s=s, e=e)).all()
    open_now = (await q("SELECT enterprise_id + 0 AS e, count(*) FROM hazards WHERE status IN ('reported', 'rectifying', 'awaiting_verification') AND found_at < :e GROUP BY e", e=e)).all()
    open_closed = (await q("SELECT enterprise_id + 0 AS e, count(*) FROM hazards WHERE closed_at >= :e AND found_at < :e GROUP BY e", e=e)).all()
    open_withdrawn = (await q("SELECT enterprise_id + 0 AS e, count(*) FROM hazards WHERE status = 'withdrawn' AND updated_at >= :e AND found_at < :e GROUP BY e", e=e)).all()
    as_of = min(TODAY, monday + timedelta(days=7))
    columns = "SELECT h.code, h.enterprise_id, h.level, h.mode, h.status, h.due_date, h.found_at FROM hazards h"
    late = (await q(f"{columns} WHERE h.status = 'rectifying' AND h.due_date < :d AND h.found_at < :e", d=as_of.isoformat(), e=e)).all()
    late += (
        await q(
            f"{columns} WHERE h.status IN ('reported', 'rectifying') AND h.mode = 'immediate' AND h.found_at < :fb AND h.found_at < :e",
            fb=ts(immediate_found_before(as_of, TZ, 1)), e=e,
        )
    ).all()
    overdue = {r[0] for r in late}
    majors = (
        await q(
            "SELECT h.code, en.name, h.status, h.found_at FROM hazards h JOIN enterprises en ON en.id = h.enterprise_id"
            " WHERE h.level = 'major' AND h.found_at >= :s AND h.found_at < :e AND h.status != 'withdrawn'"
            " UNION SELECT h.code, en.name, h.status, h.found_at FROM hazards h JOIN enterprises en ON en.id = h.enterprise_id"
            " WHERE h.level = 'major' AND h.status IN ('reported', 'rectifying', 'awaiting_verification') AND h.found_at < :e",
            s=s, e=e,
        )
    ).all()
    edges = [ts(report_rules.moment(monday - timedelta(weeks=7 - i), TZ)) for i in range(9)]
    cases = lambda col: ", ".join(f"sum(CASE WHEN {col} >= '{edges[i]}' AND {col} < '{edges[i + 1]}' THEN 1 ELSE 0 END)" for i in range(8))  # noqa: E731
    trend_found = (await q(f"SELECT {cases('found_at')} FROM hazards WHERE found_at >= :a AND found_at < :b AND status != 'withdrawn'", a=edges[0], b=edges[-1])).one()
    trend_closed = (await q(f"SELECT {cases('closed_at')} FROM hazards WHERE closed_at >= :a AND closed_at < :b", a=edges[0], b=edges[-1])).one()
    ents = (await q("SELECT id, name FROM enterprises WHERE active")).all()
    return {
        "found": sum(n for _, n in found),
        "closed": sum(n for _, _, n in closed),
        "open": sum(n for _, n in open_now) + sum(n for _, n in open_closed) + sum(n for _, n in open_withdrawn),
        "overdue": len(overdue),
        "majors": len(majors),
        "trend": list(zip(trend_found, trend_closed, strict=True)),
        "enterprises": len(ents),
    }


async def summary_by_hand(session: AsyncSession, start: date, end: date) -> dict[str, int]:
    """The summary's figures from hand-written SQL."""
    s, e = ts(report_rules.moment(start, TZ)), ts(report_rules.moment(end + timedelta(days=1), TZ))
    row = (
        await session.execute(
            text(
                "SELECT count(*), sum(level = 'major'),"
                " sum(status IN ('awaiting_verification', 'closed') AND mode = 'immediate'),"
                " sum(status IN ('awaiting_verification', 'closed') AND mode != 'immediate'),"
                " sum(status = 'closed'), sum(status IN ('reported', 'rectifying', 'awaiting_verification'))"
                " FROM hazards WHERE found_at >= :s AND found_at < :e AND status != 'withdrawn'"
            ),
            {"s": s, "e": e},
        )
    ).one()
    insp = (await session.execute(text("SELECT count(*), sum(person_times) FROM inspections WHERE day >= :a AND day <= :b"), {"a": start.isoformat(), "b": end.isoformat()})).one()
    drills = (await session.execute(text("SELECT kind, count(*), sum(participants) FROM drills WHERE day >= :a AND day <= :b GROUP BY kind"), {"a": start.isoformat(), "b": end.isoformat()})).all()
    return {"found": row[0], "major": row[1], "closed": row[4], "open": row[5], "inspections": insp[0], "drills": len(drills)}


async def export_peak(db: Database, days: int) -> dict[str, float]:
    """Write the ledger of the last `days` days; return its seconds, hazards and tracemalloc peak (MB)."""
    from handlers.reports.ledger_xlsx import write_ledger

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, {"database": {"url": db.url}, "storage": {"photo_dir": f"{folder}/photos"}})
        out = Path(folder) / "ledger.xlsx"
        tracemalloc.start()
        t = time.perf_counter()
        async with db.reading() as session:
            done = await write_ledger(session, settings, out, TODAY - timedelta(days=days), TODAY, datetime.now(UTC))
        seconds = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"days": days, "hazards": done.hazards, "seconds": round(seconds, 2), "peak_mb": round(peak / 2**20, 1), "file_mb": round(out.stat().st_size / 2**20, 1)}


async def run(path: Path, repeat: int, export_days: list[int]) -> dict[str, Any]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    out: dict[str, Any] = {}
    try:
        monday = report_rules.week_start(TODAY) - timedelta(days=7)
        async with db.reading() as session:
            mine = await report_queries.week_figures(session, monday, TODAY, TZ)
            hand = await digest_by_hand(session, monday)
            assert (mine.total("found"), mine.total("closed"), mine.total("open"), len(mine.overdue), len(mine.majors)) == (
                hand["found"], hand["closed"], hand["open"], hand["overdue"], hand["majors"]
            ), (mine, hand)
            assert [(f, c) for _, f, c in mine.trend] == [tuple(t) for t in hand["trend"]]
            out["digest_s"] = await timed(repeat, lambda: report_queries.week_figures(session, monday, TODAY, TZ))
            out["digest_sql_s"] = await timed(repeat, lambda: digest_by_hand(session, monday))
            out["digest_figures"] = {"found": hand["found"], "closed": hand["closed"], "open": hand["open"], "overdue": hand["overdue"], "majors": hand["majors"]}
            year = (date(2025, 1, 1), date(2025, 12, 31))
            f = await report_queries.summary_figures(session, *year, TZ)
            h = await summary_by_hand(session, *year)
            assert (f.found, f.major, f.closed, f.still_open, f.inspections) == (h["found"], h["major"], h["closed"], h["open"], h["inspections"]), (f, h)
            out["summary_s"] = await timed(repeat, lambda: report_queries.summary_figures(session, *year, TZ))
            out["summary_sql_s"] = await timed(repeat, lambda: summary_by_hand(session, *year))
            out["summary_figures"] = h
            # The year-end summary drafted: the figures, month tables, weekly trend and enterprise lines.
            drafted = await year_summary(session, *year, TZ, NOW)
            assert sum(drafted.series("found")) == f.found, (drafted.series("found"), f.found)
            out["year_summary_s"] = round(await timed(repeat, lambda: year_summary(session, *year, TZ, NOW)), 4)
        from handlers.reports.charts import digest_chart, trend_chart
        from handlers.reports.summary_docx import write_summary_docx

        with tempfile.TemporaryDirectory() as folder:
            t = time.perf_counter()
            digest_chart(mine, Path(folder) / "chart.png")
            out["chart_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            chart = Path(folder) / "trend.png"
            trend_chart(drafted.trend, "trend", chart)
            write_summary_docx(drafted, park="bench", year=2025, path=Path(folder) / "s.docx", chart=chart, now=NOW, tz=TZ)
            out["summary_word_s"] = round(time.perf_counter() - t, 2)
        out["export"] = [await export_peak(db, days) for days in export_days]
    finally:
        await db.dispose()
    for key in ("digest", "summary"):
        out[f"{key}_ratio"] = round(out[f"{key}_s"] / out[f"{key}_sql_s"], 2)
        out[f"{key}_s"], out[f"{key}_sql_s"] = round(out[f"{key}_s"], 4), round(out[f"{key}_sql_s"], 4)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=Path("data/bench.db"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--export-days", type=int, nargs="*", default=[90, 365])
    args = p.parse_args()
    if not args.db.is_file():
        sys.exit(f"{args.db} not found: generate it first with bench/bigdb.py")
    out = asyncio.run(run(args.db, args.repeat, args.export_days))
    print(f"weekly digest: {out['digest_s'] * 1000:.0f} ms (hand-written SQL {out['digest_sql_s'] * 1000:.0f} ms, ×{out['digest_ratio']}); chart {out['chart_s']} s")
    print(f"annual summary: {out['summary_s'] * 1000:.0f} ms (hand-written SQL {out['summary_sql_s'] * 1000:.0f} ms, ×{out['summary_ratio']})")
    print(f"year-end summary drafted (months, trend, enterprises): {out['year_summary_s'] * 1000:.0f} ms; its Word document with the chart {out['summary_word_s']} s")
    for e in out["export"]:
        print(f"export of {e['days']} days: {e['hazards']:,} hazards in {e['seconds']} s, peak Python memory {e['peak_mb']} MB, file {e['file_mb']} MB")
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
