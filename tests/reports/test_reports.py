"""Reports for managers: the summary of a seeded year, /inspection and /drill, the Excel ledger read back,
and the ledger's hash chain (verify intact, altered, deleted; concurrent writers)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from bot.cli import main
from bot.clock import ManualClock
from domain.hazards import chain
from domain.reports import queries as report_queries
from handlers import texts as T
from storage.db import Database
from tests.harness import LI, LIU, XIAO, ZHANG, ZHAO, Harness, insert_old_hazard, jpeg, seed

TZ_OFFSET = timedelta(hours=8)


def park_time(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC) - TZ_OFFSET


async def report(h: Harness, who, text: str, n: int) -> None:  # type: ignore[no-untyped-def]
    await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(n)),))


async def seed_year(h: Harness) -> None:
    """A year of 2026 through the handlers: five hazards, inspections, a drill and a training."""
    await seed(h)
    h.clock.set(park_time(2026, 3, 2))
    await report(h, ZHANG, "配电箱未接地 立即整改", 1)  # 0001 immediate, fixed and closed
    await h.say(ZHANG, "/fix YH-2026-0001 已接地", files=(h.add_file(jpeg(2)),))
    await h.say(LI, "/accept YH-2026-0001")
    await report(h, ZHANG, "消防通道堵塞 限期 3月10日", 3)  # 0002 deadline, fixed, awaiting verification
    await h.say(ZHANG, "/fix YH-2026-0002 已清理", files=(h.add_file(jpeg(4)),))
    h.clock.set(park_time(2026, 6, 1))
    await report(h, LIU, "储罐区报警器失灵 限期 6月20日", 5)  # 0003 major, five in place, still open
    await h.say(LI, "/level YH-2026-0003 重大")
    await h.say(LIU, "/five YH-2026-0003 责任人=刘芳 措施=更换报警器 资金=5万元 时限=6月20日 预案=已制定")
    await report(h, ZHANG, "叉车无证驾驶 立即整改", 6)  # 0004 withdrawn: not counted
    await h.say(ZHANG, "/withdraw YH-2026-0004 误报")
    await report(h, ZHANG, "灭火器过期 限期 6月5日", 7)  # 0005 deadline, fixed and closed
    await h.say(ZHANG, "/fix YH-2026-0005 已更换", files=(h.add_file(jpeg(8)),))
    await h.say(LI, "/accept YH-2026-0005")
    # A meeting (华油 confirms, 宏达 does not), a notice, and a campaign (华油's report accepted).
    await h.say(LI, "/meeting 2026-06-10 09:00 管委会三楼会议室 6月安全生产例会")
    await h.say(ZHANG, "/confirm HY-2026-01")
    await h.say(LI, "/notice 关于开展夏季防汛检查的通知。请各企业自查。")
    await h.say(LI, "/campaign 防汛专项行动 2026-06-30 排查排水设施")
    await h.say(ZHANG, "/report ZX-2026-01 已完成排水设施自查", files=(h.add_file(jpeg(9)),))
    await h.say(LI, "/report_accept ZX-2026-01 华油")
    h.clock.set(park_time(2026, 11, 30))
    await h.say(LI, "/attendance HY-2026-01 全部")  # those who confirmed attended: 华油
    out = await h.say(LI, "/inspection 2026-05-10 6 华油 宏达 消防专项检查")
    assert "已登记检查" in h.texts(out)
    await h.say(LI, "/inspection 11月28日 4 全园区")
    await h.say(LI, "/drill 2026-09-01 消防演练 华油 45")
    await h.say(LI, "/drill 2026-10-12 安全培训 全园区 120")


async def test_summary_figures_of_a_seeded_year(harness: Harness) -> None:
    h = harness
    await seed_year(h)
    async with h.app.db.reading() as s:
        f = await report_queries.summary_figures(
            s, date(2026, 1, 1), date(2026, 12, 31), h.app.settings.park.tz
        )
    assert (f.found, f.major, f.rectified_immediately, f.rectified_by_deadline, f.closed, f.still_open) == (
        4,
        1,
        1,
        2,
        2,
        2,
    )
    assert (f.inspections, f.inspection_person_times) == (2, 10)
    assert (f.drills, f.drill_people, f.trainings, f.training_people) == (1, 45, 1, 120)
    b = f.broadcast
    assert (b.meetings, b.receipts_expected, b.receipts_given, b.notices) == (1, 4, 1, 1)
    assert (b.attendance_places, b.attended) == (2, 1)
    assert [(c.title, c.tasks, c.done) for c in b.campaigns] == [("ZX-2026-01 防汛专项行动", 2, 1)]
    out = h.texts(await h.say(LI, "/summary 2026"))
    assert "开展安全检查 2 次、出动检查人员 10 人次，排查安全隐患 4 项（其中重大隐患 1 项）" in out
    assert "整改销号率 50%" in out and "召开例会（次）：1" in out and "会议回执率：50%" in out
    # What each figure counts: a fix submitted (by mode), then verified and closed, then still open.
    assert "已整改 3 项（立即整改 1 项、限期整改 2 项），已验收销号 2 项" in out
    assert (
        "召开安全生产例会 1 次（回执率 50%，出席率 50%）" in out
        and "会议出席率（已登记出席的会议）：50%" in out
        and "应急演练（次/人次）：1/45" in out
    )
    assert "开展专项行动 1 项（完成率 50%）" in out
    half = h.texts(await h.say(LI, "/summary 2026-01-01 2026-03-31"))
    assert "排查隐患（项）：2" in half and "2026-01-01 至 2026-03-31" in half


async def test_report_commands_are_for_managers_and_explain_wrong_input(seeded: Harness) -> None:
    h = seeded
    for who in (ZHANG, ZHAO, XIAO):
        for command in (
            "/week",
            "/summary 2026",
            "/export",
            "/inspection 今天 3 华油",
            "/drill 今天 消防演练 华油",
        ):
            said = h.texts(await h.say(who, command))
            if who == ZHAO and command.startswith("/inspection"):  # an inspector opens inspections, records none
                assert T.INSPECTION_RECORD_DENIED in said
                continue
            assert "这个操作需要以下身份之一" in said, (who, command)
    assert T.SUMMARY_USAGE in h.texts(await h.say(LI, "/summary"))
    assert "没看懂日期“明年”" in h.texts(await h.say(LI, "/summary 明年"))
    assert "晚于结束日期" in h.texts(await h.say(LI, "/summary 2026-12-01 2026-01-01"))
    assert "没看懂“第五周”" in h.texts(await h.say(LI, "/week 第五周"))
    assert "还没有开始" in h.texts(await h.say(LI, "/week 2027-W10"))
    assert "人次要写一个正整数" in h.texts(await h.say(LI, "/inspection 今天 很多 华油"))
    assert "没看懂日期“下个月”" in h.texts(await h.say(LI, "/inspection 下个月 3 华油"))
    assert "没有找到企业“不存在”" in h.texts(await h.say(LI, "/inspection 今天 3 不存在"))
    assert "还没到" in h.texts(await h.say(LI, "/inspection 2026-12-25 3 华油"))
    assert "要有“演练”或演练类型" in h.texts(await h.say(LI, "/drill 今天 会议 华油"))
    assert "人数要写一个正整数" in h.texts(await h.say(LI, "/drill 今天 消防演练 华油 许多"))
    assert "没看懂“明年”" in h.texts(await h.say(LI, "/export 明年"))
    week = await h.say(LI, "/week 2026-W48")
    assert "2026-W48" in h.texts(week) and week[0].reply.photos


async def test_exported_workbook_reads_back(harness: Harness) -> None:
    h = harness
    await seed_year(h)
    out = await h.say(LI, "/export 2026")  # in the group: sent privately
    assert T.EXPORT_WORKING_PRIVATELY.format(period="2026年") in h.texts(out)  # at once, in the group
    doc = next(s for s in out if s.reply.documents)
    assert doc.chat.chat_id == "p-li" and doc.reply.document_names == ("隐患台账-2026年.xlsx",)
    async with h.app.db.reading() as s:
        head = await chain.head(s)
    assert head.hash and f"#{head.event_id} {head.hash[:16]}" in (doc.reply.text or "")
    wb = load_workbook(doc.reply.documents[0])
    assert wb.sheetnames == ["隐患台账", "隐患统计", "专项行动", "会议与文件", "目标责任状", "应急物资", "年度汇总", "台账校验"]
    ledger = wb["隐患台账"]
    assert head.hash in ledger["A1"].value and ledger.freeze_panes == "A3"
    assert [c.value for c in ledger[2]][:4] == ["序号", "隐患编号", "发现日期", "企业"]
    rows = list(ledger.iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows[:5]] == [f"YH-2026-000{i}" for i in range(1, 6)]
    assert rows[5][0] is None and rows[6][0] == T.XLSX_SIGN_LINE  # a blank row, then the line to sign
    first = ledger[3]
    assert first[2].value.date() == date(2026, 3, 2) and first[2].number_format == "yyyy-mm-dd"
    assert (
        first[18].value == "已销号"
        and first[16].value == "李干部"
        and first[15].value.date() == date(2026, 3, 2)
    )
    assert first[19].hyperlink is not None and first[19].hyperlink.target.startswith("file://")
    assert await asyncio.to_thread(Path(first[19].hyperlink.target.removeprefix("file://")).is_file)
    major = ledger[5]
    assert (
        major[9].value == "重大隐患"
        and major[11].value == "更换报警器"
        and major[12].value == 5
        and major[13].value == "刘芳"
    )
    assert ledger.column_dimensions["F"].width == 40
    stats = {r[0]: r for r in wb["隐患统计"].iter_rows(min_row=3, values_only=True)}
    assert stats["华油装备制造有限公司"][1:4] == (3, 2, pytest.approx(2 / 3))
    assert stats["宏达机械有限公司"][4:9] == (1, 0, 0, 1, 5)
    assert stats["合计"][1] == 3 and stats["合计"][4] == 1
    campaigns = list(wb["专项行动"].iter_rows(min_row=3, values_only=True))
    assert [r[:3] for r in campaigns] == [
        ("ZX-2026-01 防汛专项行动", "华油装备制造有限公司", "已通过"),
        ("ZX-2026-01 防汛专项行动", "宏达机械有限公司", "未提交"),
    ]
    assert isinstance(campaigns[0][3], datetime) and campaigns[1][3] is None
    assert head.hash in wb["台账校验"]["A2"].value


def test_cli_export_and_ledger_verify(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def build() -> None:
        async with Harness.running(sqlite_url, tmp_path, ManualClock(park_time(2026, 11, 30))) as h:
            await seed_year(h)

    asyncio.run(build())
    monkeypatch.setenv("SAFETYBOT_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("SAFETYBOT_STORAGE__PHOTO_DIR", str(tmp_path / "photos"))
    out = tmp_path / "ledger.xlsx"
    assert main(["export", "--year", "2026", "-o", str(out)]) == 0
    assert len(list(load_workbook(out)["隐患台账"].iter_rows())) == 9  # title, header, 5 hazards, blank, sign line
    assert main(["ledger", "verify"]) == 0
    assert "ledger intact" in capsys.readouterr().out

    async def tamper(sql: str) -> None:
        db = Database(sqlite_url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await db.dispose()

    asyncio.run(tamper("UPDATE hazard_events SET note = '已整改（改过）' WHERE id = 2"))
    assert main(["ledger", "verify"]) == 1
    said = capsys.readouterr().out
    assert "event #2 (YH-2026-0001) was altered" in said
    asyncio.run(tamper("UPDATE hazard_events SET note = '已接地' WHERE id = 2"))
    assert main(["ledger", "verify"]) == 0
    capsys.readouterr()
    asyncio.run(tamper("DELETE FROM hazard_photos WHERE event_id = 4; "))
    asyncio.run(tamper("DELETE FROM hazard_events WHERE id = 4"))
    assert main(["ledger", "verify"]) == 1
    assert "event #5" in capsys.readouterr().out


async def test_concurrent_writers_keep_the_chain(pg_url: str, tmp_path: Path, clock: ManualClock) -> None:
    """Two processes writing hazard events at once on PostgreSQL: the chain stays intact."""
    async with (
        Harness.running(pg_url, tmp_path, clock) as first,
        Harness.running(pg_url, tmp_path, clock) as second,
    ):
        second.adapter._ids = itertools.count(10_000)  # two platforms' message ids never collide
        await seed(first)

        async def many(h: Harness, who, base: int) -> None:  # type: ignore[no-untyped-def]
            for i in range(6):  # update keys of their own: both harnesses number their updates from 1
                await h.say(
                    who,
                    f"/hazard 隐患 {base + i} 立即整改",
                    files=(h.add_file(jpeg(base + i)),),
                    update_key=f"u{base + i}",
                )

        await asyncio.gather(many(first, ZHANG, 100), many(second, LIU, 200))
        async with first.app.db.reading() as s:
            result = await chain.verify(s)
        assert result.broken is None and result.events == 12


async def test_migration_backfills_the_chain_of_existing_events(any_empty_db_url: str) -> None:
    from storage.db import upgrade

    db = Database(any_empty_db_url)
    now = datetime(2026, 11, 30, 1, tzinfo=UTC)
    try:
        await upgrade(db.engine, "0007")
        async with db.engine.begin() as conn:
            await insert_old_hazard(conn, now)
            for i, action in enumerate(("report", "five", "photos"), start=1):
                await conn.execute(
                    text(
                        "INSERT INTO hazard_events (id, hazard_id, at, actor_kind, actor_id, action, data) VALUES (:i, 1, :t, 'person', 1, :a, '{\"k\": \"值\"}')"
                    ),
                    {"i": i, "t": now + timedelta(minutes=i), "a": action},
                )
        await upgrade(db.engine)
        async with db.reading() as s:
            result = await chain.verify(s)
        # three old events, then the `seal` event 0013 wrote to cover the hazard's state (chain v2)
        assert result.broken is None and result.events == 4 and result.head.event_id == 4
    finally:
        await db.dispose()
