"""Measure a notice to 200 park groups through the outbox, the real Telegram adapter and the fake Bot API.

The bot runs in this process with Telegram's own limits (30 messages a second overall, 20 a minute
per group) on a temporary SQLite database; the fake Bot API (tests/fake_telegram.py) answers some
groups' first sends with 429 and `retry_after` (and, with `--errors`, a share of all sends with 502).
The notice is written to the outbox as a broadcast the way a schedule's job sends (`Dispatcher.enqueue`
in one transaction, one row per group, then `Dispatcher.queued`), and the time until every group
shows it is compared with the rate-limit floor, groups / 30 s.

Run: `.venv/bin/python bench/broadcast.py [GROUPS] [--throttled N] [--retry-after S] [--errors P]`.
The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bot.adapters.telegram import TelegramAdapter
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import load_settings
from bot.messages import Reply
from domain.park import operations as park_ops
from tests.fake_telegram import TOKEN, FakeTelegram

TEXT = "关于召开12月安全生产例会的通知：12月5日9:00，管委会三楼会议室，请各企业安全负责人参加。"


async def run(groups: int, throttled: int, retry_after: int, errors: float, seed: int) -> dict[str, float | int]:
    """Broadcast once and return the figures."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg:
            settings = load_settings(
                None,
                {
                    "database": {"url": f"sqlite+aiosqlite:///{tmp}/bench.db"},
                    "storage": {"photo_dir": f"{tmp}/photos"},
                    "telegram": {"token": TOKEN, "base_url": tg.base_url, "base_file_url": tg.base_file_url, "poll_timeout": 1},
                },
            )
            limits = settings.sending.limits["telegram"]
            app = build_app(settings, SystemClock())
            await app.prepare()
            ids = [-1_000_000 - i for i in range(groups)]
            async with app.db.unit_of_work() as s:
                for i, chat_id in enumerate(ids):
                    tg.group(chat_id, f"园区企业群{i}")
                    chat = await park_ops.upsert_chat(
                        s, platform="telegram", chat_id=str(chat_id), title=f"园区企业群{i}", is_group=True, at=app.clock.now()
                    )
                    chat.is_park_group = True
            for chat_id in rng.sample(ids, min(throttled, groups)):
                tg.fail("sendMessage", 429, times=1, retry_after=retry_after, chat_id=chat_id)
            if errors:
                tg.flaky(502, errors, seed=seed)
            adapter = TelegramAdapter(settings.telegram, app.dispatcher, app.inbox)
            await adapter.start()
            try:
                start = time.perf_counter()
                async with app.db.unit_of_work() as session:  # as a schedule's job writes what it sends
                    items = await app.dispatcher.enqueue(session, [Reply(text=TEXT, to_groups=True)])
                app.dispatcher.queued(items)

                def reached() -> set[int]:
                    return {
                        c.message["chat"]["id"]
                        for c in tg.calls_of("sendMessage")
                        if c.error is None and c.message is not None
                    }

                floor = groups / limits.overall_per_second
                deadline = start + floor * 5 + 30
                with contextlib.suppress(TimeoutError, AssertionError):  # a group missed: counted below
                    await tg.wait_for(lambda: len(reached()) >= groups, deadline - time.perf_counter())
                elapsed = time.perf_counter() - start
                await app.sender.settle()
            finally:
                await adapter.stop()
                await app.close()
            got = reached()
            per_group = [sum(1 for c in tg.calls_of("sendMessage") if c.error is None and c.message and c.message["chat"]["id"] == g) for g in ids]
    return {
        "groups": groups,
        "elapsed_s": round(elapsed, 3),
        "floor_s": round(floor, 3),
        "ratio": round(elapsed / floor, 3),
        "missed": groups - len(got),
        "twice": sum(1 for n in per_group if n > 1),
        "injected_429": min(throttled, groups),
        "faults_served": tg.faults_served,
        "overall_per_second": limits.overall_per_second,
        "per_group_per_minute": limits.per_group_per_minute,
    }


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", type=int, nargs="?", default=200)
    parser.add_argument("--throttled", type=int, default=20, help="groups whose first send gets a 429 (default 20)")
    parser.add_argument("--retry-after", type=int, default=1, help="retry_after of those 429s in seconds (default 1)")
    parser.add_argument("--errors", type=float, default=0.0, help="share of sends answered 502 (default 0)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    figures = asyncio.run(run(args.groups, args.throttled, args.retry_after, args.errors, args.seed))
    print(
        f"{figures['groups']} groups: {figures['elapsed_s']:.2f} s, floor {figures['floor_s']:.2f} s "
        f"({figures['groups']}/{figures['overall_per_second']:g} per s), ratio {figures['ratio']:.3f} "
        f"(target ≤ 1.1), missed {figures['missed']} (target 0), twice {figures['twice']}, "
        f"429s injected {figures['injected_429']}, faults served {figures['faults_served']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
