"""Publicity (宣传) through the neutral core: a manager records what was distributed or hung, forgivingly;
bad input gets the usage; /publicity alone totals the year; the summary's query reads the same totals."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from domain.publicity import queries as publicity_queries
from storage.models import AuditEntry, Publicity
from tests.harness import LI, ZHANG, Harness, seed


async def test_publicity_is_recorded_and_totalled(harness: Harness) -> None:
    h = harness
    await seed(h)
    assert "2026年还没有宣传记录" in h.texts(await h.say(LI, "/publicity"))
    said = h.texts(await h.say(LI, "/publicity 宣传单页 2000 份"))
    assert "已记录2026-11-30（周一）的宣传：宣传单页 2000 份" in said
    said = h.texts(await h.say(LI, "/宣传 横幅20幅、手册 300 本 6月16日"))
    assert "2026-06-16（周二）" in said and "横幅 20 幅、手册 300 本" in said
    await h.say(LI, "/publicity 昨天 宣传单页 500 份，安全咨询日活动")
    # Bad input: what was wrong, then how to write it; nothing recorded.
    said = h.texts(await h.say(LI, "/publicity 宣传单页 很多"))
    assert "“宣传单页 很多”没有写数量" in said and "/publicity 宣传单页 2000 份" in said
    assert "请写今天或以前的日期" in h.texts(await h.say(LI, "/publicity 2027-03-01 横幅 2 幅"))
    # Only managers record; a lead is refused by the role table.
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, "/publicity 横幅 1 幅"))
    totals = h.texts(await h.say(LI, "/publicity"))
    assert "2026年宣传合计：" in totals
    assert "宣传单页 2500 份（2 次记录）" in totals and "横幅 20 幅（1 次记录）" in totals
    assert "安全咨询日活动 1 场" in totals
    assert "2025年还没有宣传记录" in h.texts(await h.say(LI, "/publicity 2025"))
    async with h.app.db.reading() as s:
        assert len((await s.scalars(select(Publicity))).all()) == 5
        assert len((await s.scalars(select(AuditEntry).where(AuditEntry.action == "publicity.record"))).all()) == 5
        year = await publicity_queries.publicity_totals(s, date(2026, 1, 1), date(2026, 12, 31))
        june = await publicity_queries.publicity_totals(s, date(2026, 6, 1), date(2026, 6, 30))
    assert [(t.item, t.count, t.unit) for t in year][:2] == [("宣传单页", 2500, "份"), ("手册", 300, "本")]
    assert [(t.item, t.count) for t in june] == [("手册", 300), ("横幅", 20)]
