"""A database outage while WeCom pushes: the link holds the frames (it reads no further and keeps the socket,
though pings go unanswered meanwhile) and stores each once the database is back; every one is answered once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.platform.test_faults import Proxy
from tests.wecom_live import WC_ADMIN_ID, running_wecom_bot

pytestmark = pytest.mark.e2e


async def test_outage_holds_pushed_frames_until_the_database_is_back(
    pg_url: str, tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = Proxy(5432)
    await proxy.start()
    db_url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        async with running_wecom_bot(db_url, tmp_path, clock, heartbeat=0.1) as bot:
            wc = bot.wc
            admin = wc.user(WC_ADMIN_ID, "王主任")
            group = wc.group()
            assert "设为园区安全群" in await bot.say(admin, group, "/setgroup")
            await proxy.cut()
            for i in range(6):
                wc.send_text(admin, group, f"/enterprise_add 停库企业{i}")
            await wc.wait_for(lambda: any("wait for the database" in r.getMessage() for r in caplog.records))
            await wc.wait_for(lambda: len(wc.of("ping")) >= 6)  # pings unanswered meanwhile, socket kept
            await proxy.start()
            await wc.wait_for(lambda: sum("已添加企业：停库企业" in t for t in bot.texts(group)) == 6, 60)
            assert wc.connections == 1
            added = [t for t in bot.texts(group) if t.startswith("已添加企业：停库企业")]
            assert len(set(added)) == 6
    finally:
        await proxy.cut()
