"""Quiet hours and the once-a-day reminder cap shared by notices, campaigns and overdue hazards."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.config import ParkSettings
from bot.messages import Reply
from storage import outbox, reminders
from storage.db import Database
from tests.harness import GROUP, Harness, seed


def test_quiet_hours_run_past_midnight_in_park_time() -> None:
    park = ParkSettings(quiet_hours="22:00-07:00")  # Asia/Shanghai = UTC+8
    assert park.is_quiet(datetime(2026, 12, 1, 14, 30, tzinfo=UTC))  # 22:30 park time
    assert park.is_quiet(datetime(2026, 12, 1, 22, 59, tzinfo=UTC))  # 06:59 next morning
    assert not park.is_quiet(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))  # 07:00
    assert not park.is_quiet(datetime(2026, 12, 1, 13, 59, tzinfo=UTC))  # 21:59
    assert park.quiet_until(datetime(2026, 12, 1, 14, 30, tzinfo=UTC)) == datetime(
        2026, 12, 1, 23, 0, tzinfo=UTC
    )
    assert park.quiet_until(datetime(2026, 12, 1, 20, 0, tzinfo=UTC)) == datetime(
        2026, 12, 1, 23, 0, tzinfo=UTC
    )
    noon = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert park.quiet_until(noon) == noon


def test_quiet_hours_within_one_day_and_bad_values() -> None:
    park = ParkSettings(quiet_hours="12:00-13:30")
    assert park.is_quiet(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    assert not park.is_quiet(datetime(2026, 12, 1, 5, 30, tzinfo=UTC))
    with pytest.raises(ValueError, match="22:00-07:00"):
        ParkSettings(quiet_hours="10pm-7am")


async def test_one_reminder_per_subject_target_and_day(any_db_url: str) -> None:
    db = Database(any_db_url)
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    try:
        async with db.unit_of_work() as session:
            assert await reminders.claim(session, "notice:1", "enterprise:5", date(2026, 12, 1), at)
            assert not await reminders.claim(session, "notice:1", "enterprise:5", date(2026, 12, 1), at)
            assert await reminders.claim(session, "notice:1", "enterprise:6", date(2026, 12, 1), at)
            assert await reminders.claim(session, "notice:1", "enterprise:5", date(2026, 12, 2), at)
        async with db.unit_of_work() as session:
            assert await reminders.last_sent(session, "notice:1", "enterprise:5") == at
            assert await reminders.last_sent(session, "notice:2", "enterprise:5") is None
    finally:
        await db.dispose()


async def test_proactive_replies_go_through_the_outbox(harness: Harness) -> None:
    """A reminder written with `enqueue` is stored in the caller's transaction and sent once handed over."""
    await seed(harness)
    app = harness.app
    async with app.db.unit_of_work() as session:
        items = await app.dispatcher.enqueue(session, [Reply(text="提醒", to_groups=True)])
    async with app.db.reading() as session:
        assert [row.chat_id for row in await outbox.pending(session)] == [GROUP.chat_id]
    assert harness.adapter.sent == []
    app.dispatcher.queued(items)
    await app.sender.settle()
    async with app.db.reading() as session:
        assert list(await outbox.pending(session)) == []
    assert [(s.chat.chat_id, s.reply.text) for s in harness.adapter.sent] == [(GROUP.chat_id, "提醒")]


def test_generated_report_files_are_pruned_once_their_rows_are_gone(tmp_path: Path) -> None:
    """Charts and workbooks older than the kept outbox rows are deleted; newer ones stay."""
    import os
    import time
    from datetime import timedelta

    from storage.files import prune_generated

    folder = tmp_path / "reports"
    (folder / "exports").mkdir(parents=True)
    old, new = folder / "digest-2026-W40.png", folder / "exports" / "ledger.xlsx"
    old.write_bytes(b"png")
    new.write_bytes(b"xlsx")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    assert prune_generated(folder, timedelta(days=7)) == 1
    assert not old.exists() and new.exists()
    assert prune_generated(tmp_path / "missing", timedelta(days=7)) == 0
