"""Commands as people type them: Chinese names for the everyday ones, and the closest ones for a typo."""

from __future__ import annotations

from tests.harness import LI, ZHANG, Harness


async def test_chinese_command_names_and_close_matches(seeded: Harness) -> None:
    h = seeded
    assert "安全生产周报" in h.texts(await h.say(LI, "/周报"))
    await h.say(LI, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会")
    assert "HY-2026-01" in h.texts(await h.say(ZHANG, "/收到 HY-2026-01"))
    said = h.texts(await h.say(ZHANG, "/hazrds"))
    assert "没有 /hazrds 这个命令" in said and "/hazards" in said
    assert "您是不是要找" not in h.texts(await h.say(ZHANG, "/xyzzy"))
