"""How fast the web desk answers on a district-sized database (not a timed test; it prints figures).

Pages are fetched over real HTTP on loopback (aiohttp's test server and client), signed in as a manager
(the whole park) and as a lead (one enterprise), on the SQLite database of `bench/bigdb.py` (1,000,000
hazards by default; generated first when the file is missing). Each page is fetched `--rounds` times after
one warm-up; the p50 and p95 of the wall time are printed per page, then one JSON line.

The issue's targets: `/hazards` filtered pages and searches (`q`) p95 < 200 ms, a hazard's page < 100 ms.

Run: `.venv/bin/python bench/web.py [--db data/bench.db] [--rounds 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import build_app, build_desk
from bot.clock import ManualClock
from bot.config import load_settings
from bot.web.app import COOKIE, make_app
from domain.desk import operations as desk_ops
from storage.enums import Role
from storage.models import Hazard, Person

NOW = "2026-11-30T01:00:00+00:00"  # bench/bigdb.py's "today": Monday 09:00 in the park
LEAD_ENTERPRISE = 7

MANAGER_PAGES = [
    ("/hazards", "ledger, no filter (newest first)"),
    ("/hazards?status=open", "open"),
    ("/hazards?status=overdue", "overdue today"),
    ("/hazards?level=major&status=open", "major, open"),
    ("/hazards?month=2026-10", "one month"),
    (f"/hazards?enterprise={LEAD_ENTERPRISE}", "one enterprise"),
    (f"/hazards?enterprise={LEAD_ENTERPRISE}&status=closed&page=3", "one enterprise, closed, page 3"),
    (f"/hazards?q={quote('灭火器')}", "search 灭火器 (whole park)"),
    (f"/hazards?q={quote('消防')}", "search 消防 (2 characters, common)"),
    (f"/hazards?q={quote('液氨')}", "search 液氨 (rare: about 50)"),
    (f"/hazards?q={quote('火')}", "search 火 (one character)"),
    ("/hazards?q=YH-2026-0007", "search a code"),
    ("/hazards?q=2026-0007", "search a piece of a code"),
    ("/hazards?q=0007", "search digits of a code (every code read)"),
    (f"/hazards?q={quote('消防')}&status=open", "search 消防, open"),
    (f"/hazards?q={quote('消防')}&level=major", "search 消防, major"),
    (f"/hazards?q={quote('消防')}&month=2026-10", "search 消防, one month"),
    (f"/hazards?q={quote('消防')}&page=15", "search 消防, page 15"),
    ("/hazards?page=200", "page 200"),
    ("/", "overview"),
]
LEAD_PAGES = [
    ("/hazards", "lead: own ledger"),
    ("/hazards?status=open", "lead: open"),
    (f"/hazards?q={quote('配电')}", "lead: search 配电"),
    ("/", "lead: overview"),
]


async def cookie_for(app, person: Person) -> str:  # type: ignore[no-untyped-def]
    async with app.db.unit_of_work() as s:
        secret = await desk_ops.issue_link(s, person, app.clock.now())
    async with app.db.unit_of_work() as s:
        cookie, _ = await desk_ops.redeem(s, secret, app.clock.now())
    return cookie


async def timed(client: TestClient, path: str, cookie: str, rounds: int) -> list[tuple[float, float]]:
    """Fetch a page `rounds` times after a warm-up; return (wall ms, CPU ms of this process) per fetch."""
    times = []
    for i in range(rounds + 1):
        started, cpu = time.perf_counter(), time.process_time()
        response = await client.get(path, cookies={COOKIE: cookie}, allow_redirects=False)
        await response.read()
        assert response.status == 200, (path, response.status)
        if i:  # the first fetch warms the caches
            times.append(((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000))
    return times


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def line(name: str, times: list[tuple[float, float]]) -> dict[str, float | str]:
    """Print and return a page's wall-time p50 / p95 and CPU p50 / p95 (CPU: client and server together, the
    figure a busy shared machine disturbs least)."""
    wall, cpu = [w for w, _ in times], [c for _, c in times]
    row = {
        "page": name,
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(_p95(wall), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(_p95(cpu), 1),
    }
    print(
        f"{name:<40} wall p50 {row['p50_ms']:>7} p95 {row['p95_ms']:>7} ms"
        f"   CPU p50 {row['cpu_p50_ms']:>7} p95 {row['cpu_p95_ms']:>7} ms"
    )
    return row


async def main(db: Path, rounds: int) -> None:
    from datetime import datetime

    folder = tempfile.mkdtemp(prefix="bench-web-")
    settings = load_settings(
        None,
        {
            "database": {"url": f"sqlite+aiosqlite:///{db}"},
            "storage": {"photo_dir": f"{folder}/photos"},
            "web": {"listen": "127.0.0.1:0"},
            "schedule": {"enabled": False},
        },
    )
    app = build_app(settings, ManualClock(datetime.fromisoformat(NOW)))
    await app.prepare()
    async with app.db.unit_of_work() as s:
        manager = await s.scalar(select(Person).where(Person.role == Role.MANAGER).limit(1))
        lead = await s.scalar(select(Person).where(Person.external_id == "bench-lead"))
        if lead is None:
            lead = Person(platform="test", external_id="bench-lead", display_name="基准负责人", role=Role.LEAD,
                          enterprise_id=LEAD_ENTERPRISE, created_at=app.clock.now(), updated_at=app.clock.now())
            s.add(lead)
        hazards = await s.scalar(select(func.count()).select_from(Hazard))
        top = await s.scalar(select(func.max(Hazard.id)))
    assert manager is not None and top
    rng = random.Random(5)
    async with app.db.reading() as s:
        codes = [c for c in (await s.scalars(select(Hazard.code).where(Hazard.id.in_(
            [rng.randint(1, top) for _ in range(rounds * 2)])))).all()][:rounds]
    client = TestClient(TestServer(make_app(build_desk(app))))
    await client.start_server()
    rows = []
    try:
        as_manager, as_lead = await cookie_for(app, manager), await cookie_for(app, lead)
        print(f"{hazards:,} hazards; {rounds} fetches a page after one warm-up; SQLite {db}")
        for path, name in MANAGER_PAGES:
            rows.append(line(name, await timed(client, path, as_manager, rounds)))
        for path, name in LEAD_PAGES:
            rows.append(line(name, await timed(client, path, as_lead, rounds)))
        detail: list[tuple[float, float]] = []
        for code in codes:
            detail += await timed(client, f"/hazards/{code}", as_manager, 1)
        rows.append(line(f"a hazard's page ({len(codes)} random codes)", detail))
    finally:
        await client.close()
        await app.close()
    print(json.dumps({"hazards": hazards, "rounds": rounds, "pages": rows}, ensure_ascii=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("data/bench.db"))
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if not args.db.exists():
        subprocess.run([sys.executable, str(Path(__file__).with_name("bigdb.py")), "-o", str(args.db)], check=True)
    asyncio.run(main(args.db, args.rounds))
