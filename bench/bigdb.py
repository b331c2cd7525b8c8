"""Generate a district-sized SQLite database for the report benchmarks (bench/reports.py).

Default: 1,000,000 hazards in 500 enterprises found over 10 years (2017-01-01 to 2026-11-29), each with
its `report` event, and a closed one also with its `fix` and `accept` events (about 2.9 million events,
hash-chained as the bot writes them). Old hazards are nearly all closed (2 % withdrawn); of the last 90
days' about 17 % are still open, so the overdue lists have a realistic few thousand. 3 % are major, with
five-in-place (funds, a plan). Inspections and drills: a few a week. Descriptions: twelve common findings,
most after a place (二车间, 仓库), and three rare ones (about 50 hazards each: 液氨, 有限空间, 除尘器), with
their rows of the word index (`hazard_grams`, `domain/hazards/search.py`).

The schema comes from the real migrations (`alembic upgrade head`); rows are written with the stdlib
`sqlite3` driver, `executemany` in batches of 20,000, journal off during the load (a benchmark database,
not a bot's). The last line printed is JSON with the sizes and the time taken.

Run: `.venv/bin/python bench/bigdb.py [--hazards N] [--enterprises N] [--years N] [-o data/bench.db]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.hazards import chain
from domain.hazards.search import index_grams
from storage.db import Database, upgrade

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in the park: the benchmark's "today"
BATCH = 20_000
CATEGORIES = ("fire", "electrical", "special_equipment", "hazardous_chemicals", "site", "other")
DESCRIPTIONS = (
    "配电箱门未关闭，无警示标识", "消防通道堆放杂物", "灭火器压力不足", "叉车无证驾驶", "储罐区报警器失灵", "安全出口指示灯损坏",
    "消防栓被货物遮挡", "电缆桥架盖板缺失", "气瓶未固定，无防倒链", "应急照明灯不亮", "动火作业无人监护", "安全通道被占用",
)
# Where it was found, written before the description as people do (二车间配电室 配电箱门未关闭); "" for none.
PLACES = ("", "", "一车间", "二车间", "三车间", "仓库", "配电室", "锅炉房", "食堂", "宿舍楼", "办公楼", "装卸区", "危化品库")
# Rare finds: about 1 hazard in 20,000 each, for a search that matches a few dozen.
RARE = ("液氨管道阀门泄漏", "有限空间作业未检测氧含量", "除尘器粉尘积灰严重")


def ts(at: datetime) -> str:
    """Return a moment as SQLAlchemy stores an aware datetime in SQLite (UTC, no offset)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def describe(rng: random.Random) -> str:
    """Return a hazard's description: a place (or none) and a common finding, now and then a rare one."""
    r = rng.random()
    finding = RARE[int(r * 20_000)] if r < len(RARE) / 20_000 else rng.choice(DESCRIPTIONS)
    place = rng.choice(PLACES)
    return f"{place} {finding}" if place and rng.random() < 0.3 else place + finding


def generate(path: Path, hazards: int, enterprises: int, years: int, seed: int = 7) -> dict[str, float | int]:
    """Fill a freshly migrated SQLite file; return the sizes and the seconds it took."""
    rng = random.Random(seed)
    words = random.Random(seed + 1)  # descriptions of their own: the other columns stay as they were
    grams_of: dict[str, list[int]] = {}  # few distinct descriptions: each one's index rows computed once
    gram_rows: list[tuple[int, int]] = []
    gram_seconds = 0.0
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    now_s = ts(NOW)
    conn.executemany(
        "INSERT INTO enterprises (id, name, aliases, industry, active, created_at) VALUES (?, ?, '[]', NULL, 1, ?)",
        [(i, f"第{i:03d}号装备制造有限公司", now_s) for i in range(1, enterprises + 1)],
    )
    conn.execute(
        "INSERT INTO people (id, platform, external_id, display_name, role, created_at, updated_at)"
        " VALUES (1, 'test', 'inspector', '赵工', 'inspector', ?, ?), (2, 'test', 'li', '李干部', 'manager', ?, ?)",
        (now_s, now_s, now_s, now_s),
    )
    start = NOW - timedelta(days=365 * years)
    span = (NOW - start).total_seconds()
    recent = NOW - timedelta(days=90)
    hazard_rows: list[tuple] = []
    event_rows: list[tuple] = []
    prev = chain.GENESIS
    event_id = 0
    per_year: dict[int, int] = {}
    found_times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(hazards))

    def event(hazard_id: int, at: datetime, actor: int, action: str, frm: str | None, to: str | None, note: str | None, data: dict) -> None:
        nonlocal prev, event_id
        event_id += 1
        row = {
            "id": event_id, "hazard_id": hazard_id, "at": at, "actor_kind": "person", "actor_id": actor,
            "action": action, "from_status": frm, "to_status": to, "note": note, "data": data,
        }
        own = chain.digest(row, prev)
        event_rows.append(
            (event_id, hazard_id, ts(at), "person", actor, action, frm, to, note, json.dumps(data), prev, own)
        )
        prev = own

    def flush() -> None:
        nonlocal gram_seconds
        conn.executemany(
            "INSERT INTO hazards (id, code, enterprise_id, description, category, level, mode, due_date, status, source,"
            " five_in_place, reporter_id, found_at, created_at, updated_at, closed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'inspection', ?, 1, ?, ?, ?, ?)",
            hazard_rows,
        )
        conn.executemany(
            "INSERT INTO hazard_events (id, hazard_id, at, actor_kind, actor_id, action, from_status, to_status, note,"
            " data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        # The word index (`domain/hazards/search.py`): hazard ids only grow, so each pair's rows are appended
        # at the end of its range of the primary key, a few hundred pages the cache keeps.
        started_grams = time.perf_counter()
        conn.executemany("INSERT INTO hazard_grams (gram, hazard_id) VALUES (?, ?)", gram_rows)
        gram_seconds += time.perf_counter() - started_grams
        hazard_rows.clear()
        event_rows.clear()
        gram_rows.clear()

    for hid, found in enumerate(found_times, start=1):
        year = found.astimezone(UTC).year
        per_year[year] = per_year.get(year, 0) + 1
        code = f"YH-{year}-{per_year[year]:04d}"
        level = "major" if rng.random() < 0.03 else "general"
        mode = "immediate" if rng.random() < 0.4 else "deadline"
        due = (found + timedelta(days=rng.choice((3, 7, 15, 30)))).date() if mode == "deadline" else None
        r = rng.random()
        if found < recent:
            status = "withdrawn" if r < 0.02 else "closed"
        else:
            status = "withdrawn" if r < 0.03 else "closed" if r < 0.83 else "rectifying" if mode == "deadline" else "reported"
        five = (
            {"responsible": "厂长", "measures": "停产整改", "funds": f"{rng.randint(1, 50)}万元", "deadline": "30天", "plan": "已制定" if rng.random() < 0.8 else ""}
            if level == "major"
            else {}
        )
        closed_at = found + timedelta(days=rng.uniform(0.1, 20)) if status == "closed" else None
        if closed_at is not None and closed_at > NOW:
            closed_at = NOW - timedelta(hours=1)
        updated = closed_at or (found + timedelta(hours=2) if status == "withdrawn" else found)
        first = "rectifying" if mode == "deadline" else "reported"
        enterprise = rng.randint(1, enterprises)
        rng.randrange(6)  # the draw of the six descriptions there once were: the other columns stay as they were
        description = describe(words)
        if description not in grams_of:
            grams_of[description] = sorted(index_grams(description))
        gram_rows.extend((g, hid) for g in grams_of[description])
        hazard_rows.append(
            (
                hid, code, enterprise, description, rng.choice(CATEGORIES), level, mode,
                due.isoformat() if due else None, status, json.dumps(five), ts(found), ts(found), ts(updated),
                ts(closed_at) if closed_at else None,
            )
        )
        event(hid, found, 1, "report", None, first, None, {"level": level, "mode": mode, "due_date": due.isoformat() if due else None})
        if status == "closed" and closed_at is not None:
            fixed = found + (closed_at - found) / 2
            event(hid, fixed, 1, "fix", first, "awaiting_verification", "已整改", {})
            event(hid, closed_at, 2, "accept", "awaiting_verification", "closed", None, {})
        elif status == "withdrawn":
            event(hid, updated, 1, "withdraw", first, "withdrawn", "误报", {})
        if len(hazard_rows) >= BATCH:
            flush()
    flush()
    conn.execute("UPDATE ledger_head SET event_id = ?, hash = ? WHERE id = 1", (event_id, prev))
    if conn.execute("SELECT count(*) FROM ledger_head").fetchone()[0] == 0:
        conn.execute("INSERT INTO ledger_head (id, event_id, hash) VALUES (1, ?, ?)", (event_id, prev))
    day = date(NOW.year - years, 1, 1)
    inspections, drills = [], []
    while day < NOW.date():
        inspections.append((day.isoformat(), rng.randint(2, 12), json.dumps([rng.randint(1, enterprises)]), "日常检查", now_s))
        if day.weekday() == 2:  # trainings have their own table since migration 0016; drills a kind
            drills.append((day.isoformat(), "drill", "fire", "消防演练", rng.randint(1, enterprises), rng.randint(10, 200), now_s))
        day += timedelta(days=1)
    conn.executemany(
        "INSERT INTO inspections (day, person_times, enterprise_ids, activity, recorded_by_id, created_at) VALUES (?, ?, ?, ?, 2, ?)",
        inspections,
    )
    conn.executemany(
        "INSERT INTO drills (day, kind, drill_kind, title, enterprise_id, participants, recorded_by_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 2, ?)",
        drills,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return {
        "hazards": hazards,
        "enterprises": enterprises,
        "events": event_id,
        "years": years,
        "seconds": round(time.perf_counter() - started, 1),
        "gram_seconds": round(gram_seconds, 1),
        "bytes": path.stat().st_size,
    }


async def migrate(path: Path) -> None:
    """Create the schema with the real migrations."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hazards", type=int, default=1_000_000)
    p.add_argument("--enterprises", type=int, default=500)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("-o", "--output", type=Path, default=Path("data/bench.db"))
    args = p.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.output}{suffix}").unlink(missing_ok=True)
    asyncio.run(migrate(args.output))
    # WAL (left by the migration's engine) off for the bulk load; the bot switches it on again at connect.
    with sqlite3.connect(args.output) as c:
        c.execute("PRAGMA journal_mode=DELETE")
    figures = generate(args.output, args.hazards, args.enterprises, args.years)
    print(f"generated {args.output}: {figures['hazards']:,} hazards, {figures['events']:,} events, "
          f"{figures['enterprises']} enterprises, {figures['years']} years in {figures['seconds']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
