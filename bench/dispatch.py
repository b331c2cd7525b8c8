"""Measure the core: hazard reports (with a photo) and list queries through the dispatcher.

Prints updates per second and peak memory for SQLite, and for PostgreSQL when one is reachable
(SAFETYBOT_BENCH_PG, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres creates and drops a
scratch database). Run: `.venv/bin/python bench/dispatch.py [N]`.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from tests.harness import LIU, ZHANG, Harness, jpeg, make_settings, seed


async def run(url: str, tmp: Path, n: int) -> None:
    """Report n hazards one after another, then list them; print the rates."""
    clock = ManualClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    h = await Harness.create(make_settings(url, tmp), clock)
    try:
        await seed(h)
        photos = [h.add_file(jpeg(i, (1280, 960))) for i in range(max(n, 20))]
        start = time.perf_counter()
        for i in range(n):
            await h.say(ZHANG if i % 2 else LIU, f"/hazard 隐患{i} 配电箱门未关闭 3天内", files=(photos[i],))
        report = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(n):
            await h.say(ZHANG, "/hazards")
        listing = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(h.say(ZHANG, f"/hazard 并发{i} 3天内", files=(photos[i],)) for i in range(20)))
        burst = time.perf_counter() - start
        kind = url.split("+")[0]
        print(
            f"{kind:10s} reports with a 1280x960 photo: {n / report:7.1f}/s ({report / n * 1000:.1f} ms each)"
        )
        print(
            f"{kind:10s} /hazards list:                  {n / listing:7.1f}/s ({listing / n * 1000:.1f} ms each)"
        )
        print(f"{kind:10s} 20 concurrent reports:          {burst * 1000:7.0f} ms in all")
    finally:
        await h.close()


async def main() -> None:
    """Run on SQLite, then PostgreSQL if reachable."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        await run(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), n)
    import asyncpg

    admin = os.environ.get("SAFETYBOT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        conn = await asyncpg.connect(admin, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"postgresql skipped: {exc}")
        return
    name = f"safetybot_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            await run(f"{base}/{name}", Path(tmp), n)
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
