"""The year-end summary drafted (issue 19, item 7): a seed-sized year replayed through the chat — its first
half back-filled with the records' real dates, as a park brings in its paper year — and the summary text,
the Word document (read back with python-docx) and the Excel export (openpyxl) each state every figure.

The back-filled half goes through the domain operations with the real date (`at`), as 补录 stores a record;
the 110 hazards go through them too (a chat round per hazard would make the test slow), each reported on an
inspection by its opener, fixed by its enterprise's lead and accepted by a manager.
"""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import and_, select

from domain.hazards import operations as hazard_ops
from domain.hazards.queries import WITH_HAZARD
from domain.notices import operations as notice_ops
from domain.park import operations as park_ops
from domain.reports import operations as report_ops
from domain.reports.rules import month_edges, trend_weeks
from domain.reports.year import year_summary
from handlers import texts as T
from storage.enums import Level, Mode, NoticeKind, Role, Source
from storage.models import Enterprise, Hazard, Person
from tests.harness import (
    ADMIN,
    ADMIN_ID,
    LI,
    MA,
    PDF_TYPE,
    Harness,
    LiveBot,
    Sender,
    Sent,
    add_document,
    jpeg,
    pdf,
    seed,
)

YEAR = 2025
NEW = [("飞达石油装备有限公司", "飞达"), ("顺达海工有限公司", "顺达"), ("弘业五金有限公司", "弘业")] + [
    (f"园区第{i:02d}号企业有限公司", f"园区{i:02d}") for i in range(4, 16)
]
SEED_LEADS = {"华油装备制造有限公司": "zhang", "宏达机械有限公司": "liu"}


def at(month: int, day: int, hour: int = 10) -> datetime:
    """Return a park time (UTC+8) of the replayed year as an aware UTC moment."""
    return datetime(YEAR, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


async def person(h: Harness, user_id: str) -> Person:
    async with h.app.db.reading() as s:
        row = await s.scalar(select(Person).where(Person.external_id == user_id))
        assert row is not None
        return row


async def park_of_seventeen(h: Harness) -> tuple[list[Enterprise], dict[int, Sender]]:
    """Add 15 enterprises to the seeded two, each with its lead; return them and each one's lead."""
    now = h.clock.now()
    leads: dict[str, str] = dict(SEED_LEADS)
    async with h.app.db.unit_of_work() as s:
        for i, (name, alias) in enumerate(NEW):
            ent = await park_ops.add_enterprise(s, name=name, aliases=[alias], industry=None, actor=None, at=now)
            p = await park_ops.upsert_person(
                s, platform="test", external_id=f"lead{i}", display_name=f"负责人{i}", username=None, at=now
            )
            await park_ops.set_role(s, p, Role.LEAD, ent, actor=None, at=now)
            p.private_chat_id = f"p-lead{i}"
            leads[name] = f"lead{i}"
    async with h.app.db.reading() as s:
        ents = list((await s.scalars(select(Enterprise).order_by(Enterprise.id))).all())
    assert len(ents) == 17
    return ents, {e.id: Harness.person(leads[e.name]) for e in ents}


async def back_filled_meetings_and_plans(h: Harness) -> None:
    """January to June, from the paper files: six 例会, three 动员会, four 方案 and a 通知, at their dates."""
    li = await person(h, "li")
    async with h.app.db.unit_of_work() as s:
        for month in range(1, 7):
            await notice_ops.issue(
                s, actor=li, kind=NoticeKind.MEETING, title=f"{month}月安全生产例会", body="", place="管委会三楼会议室",
                starts_at=at(month, 10, 9), year=YEAR, at=at(month, 3),
            )  # fmt: skip
        for month, title in ((2, "节后复工复产动员会"), (3, "消防安全百日攻坚动员会"), (5, "安全生产月活动动员会")):
            await notice_ops.issue(
                s, actor=li, kind=NoticeKind.MEETING, title=title, body="", place="管委会三楼会议室",
                starts_at=at(month, 20, 9), year=YEAR, at=at(month, 15),
            )  # fmt: skip
        for month, title in (
            (1, "2025年安全生产工作要点及专项整治方案"),
            (3, "消防安全百日攻坚行动实施方案"),
            (4, "有限空间作业专项治理方案"),
            (6, "安全生产月活动方案"),
            (2, "关于做好节后复工安全检查的通知"),
        ):
            await notice_ops.issue(
                s, actor=li, kind=NoticeKind.NOTICE, title=title, body="请各企业认真落实。", place=None,
                starts_at=None, year=YEAR, at=at(month, 8),
            )  # fmt: skip


async def inspection_with_hazards(
    h: Harness, number: int, day: datetime, hazards: int, first: int, ents: list[Enterprise], leads: dict[int, Sender]
) -> None:
    """Open an inspection on `day` (10 person-times), report `hazards` on it — every 7th (up to the 15th) by a
    deadline, the rest fixed at once — end it; each is fixed by its enterprise's lead and accepted by 马科长."""
    li, ma = await person(h, "li"), await person(h, "ma")
    covered = [ents[(first + k) % 17].id for k in range(hazards)]
    async with h.app.db.unit_of_work() as s:
        await report_ops.start_inspection(
            s, name=f"第{number}次检查", day=day.date(), person_times=10, enterprise_ids=sorted(set(covered)),
            actor=li, at=day,
        )  # fmt: skip
        for k in range(hazards):
            n = first + k
            deadline = n % 7 == 0 and n < 105
            await hazard_ops.report(
                s, actor=li, enterprise_id=covered[k], description=f"第{n + 1}项隐患", category="other",
                level=Level.GENERAL, mode=Mode.DEADLINE if deadline else Mode.IMMEDIATE,
                due_date=(day + timedelta(days=7)).date() if deadline else None, source=Source.INSPECTION,
                photos=(), year=YEAR, at=day + timedelta(minutes=k),
            )  # fmt: skip
        await report_ops.end_inspection(s, actor=li, at=day + timedelta(hours=3))
    async with h.app.db.unit_of_work() as s:
        in_day = and_(Hazard.found_at >= day, Hazard.found_at < day + timedelta(hours=3))
        found = (await s.scalars(select(Hazard).options(*WITH_HAZARD).where(in_day))).unique().all()
        for hazard in found:
            lead = await s.scalar(select(Person).where(Person.external_id == leads[hazard.enterprise_id].user_id))
            assert lead is not None
            await hazard_ops.submit_fix(s, hazard, lead, "已整改", (), day + timedelta(days=1))
            await hazard_ops.accept(s, hazard, ma, day + timedelta(days=2))


def issued_card(sent: list[Sent]) -> bool:
    """Tell whether a meeting notice's or a notice's card went to the park group."""
    return any(s.card is not None and s.card.key.startswith("notice:") for s in sent)


async def replay_year(h: Harness) -> list[Enterprise]:
    """The whole year: the bot arrives on 1 July; the first half is back-filled, the second said in the chat."""
    h.clock.set(at(7, 1))
    await seed(h)
    ents, leads = await park_of_seventeen(h)
    # 责任体系: officers (two, 包片包户) and the year's letter, signed by all 17 leads.
    names = [e.aliases[0] if e.aliases else e.name for e in ents]
    assert "已指定 李干部 为包片干部" in h.texts(await h.say(ADMIN, f"/officer {' '.join(names[:9])} 李干部"))
    assert "已指定 马科长 为包片干部" in h.texts(await h.say(ADMIN, f"/officer {' '.join(names[9:])} 马科长"))
    letter = add_document(h, pdf(1), "2025年度安全生产目标责任状.pdf", PDF_TYPE)
    issued = await h.say(LI, f"/letter {YEAR} {YEAR}年度安全生产目标责任状", files=(letter,))
    assert any(s.card is not None and s.card.key.startswith("letter:") for s in issued)
    for i, e in enumerate(ents):
        h.clock.set(at(7, 2 + i // 6))
        said = h.texts(await h.say(leads[e.id], f"/sign {YEAR}", files=(h.add_file(jpeg(100 + i)),)))
        assert "已签订" in said, said
    # The first half from the paper files, entered in July with the real dates.
    await back_filled_meetings_and_plans(h)
    for number, month in enumerate(range(1, 7), start=1):
        await inspection_with_hazards(h, number, at(month, 12), 9, (number - 1) * 9, ents, leads)
    for command in (
        "/drill 2025-03-10 消防演练 飞达 50",
        "/drill 2025-06-12 消防演练 顺达 40",
        "/training 2025-04-15 特种设备安全培训 县市场监管局 外部 全园区 60人次",
        "/training 2025-05-10 安全执法培训 县应急管理局 外部 2天 华油 宏达 35人次",
    ):
        assert "已登记" in h.texts(await h.say(LI, command)), command
    # The second half as it happens, through the chat.
    mobilisations = {7: "防汛专项行动动员会", 8: "高温季节安全生产动员会", 9: "安全生产大检查动员会", 11: "冬季消防安全动员会"}
    plans = {7: "防汛应急工作方案", 9: "安全生产大检查实施方案", 10: "危险化学品专项整治方案", 12: "冬春火灾防控工作方案"}
    for month in range(7, 13):
        h.clock.set(at(month, 3))
        assert issued_card(await h.say(LI, f"/meeting {YEAR}-{month:02d}-10 09:00 管委会三楼会议室 {month}月安全生产例会"))
        if month in mobilisations:
            assert issued_card(await h.say(LI, f"/meeting {YEAR}-{month:02d}-20 09:00 管委会三楼会议室 {mobilisations[month]}"))
        if month in plans:
            assert issued_card(await h.say(LI, f"/notice {plans[month]} 请各企业对照落实。"))
    h.clock.set(at(11, 5))
    assert "消防" in h.texts(await h.say(LI, "/drill 今天 消防疏散演练 弘业 45"))
    h.clock.set(at(12, 1))
    assert issued_card(await h.say(LI, "/notice 关于部分企业隐患整改不到位的通报 请相关企业限期整改。"))
    for number, month in enumerate((7, 8, 9, 10, 11, 12, 12), start=7):
        day = at(month, 14 if number < 13 else 21)
        h.clock.set(day)
        await inspection_with_hazards(h, number, day, 8, 54 + (number - 7) * 8, ents, leads)
    h.clock.set(datetime(YEAR + 1, 1, 5, 1, tzinfo=UTC))  # Monday 5 January, 09:00 park time
    return ents


FIGURES = (  # what every form must state: (the text the chat and Word say, the export's row and value)
    ("园区在册企业 17 家，与 17 家企业签订目标责任状", "在册企业（家）", 17),
    ("与 17 家企业签订目标责任状", "签订目标责任状（家）", 17),
    ("召开安全生产例会 12 次、动员会（专题会） 7 次", "召开例会（次）", 12),
    ("动员会（专题会） 7 次", "召开动员会、专题会（次）", 7),
    ("印发方案 8 件", "印发方案（件）", 8),
    ("开展安全检查 13 次、出动检查人员 130 人次、检查发现问题隐患 110 条", "安全检查（次）", 13),
    ("出动检查人员 130 人次", "检查人次", 130),
    ("排查安全隐患 110 项", "排查隐患（项）", 110),
    ("立即整改 95 项、限期整改 15 项", "立即整改（项）", 95),
    ("限期整改 15 项", "限期整改（项）", 15),
    ("已验收销号 110 项，整改销号率 100%，尚未销号 0 项", "已销号（项）", 110),
    ("开展应急演练 3 次（消防 3 次）", "演练类型（次）", "消防 3 次"),
    ("组织安全培训 2 次、95 人次", "安全培训（次/人次）", "2/95"),
)


@pytest.mark.slow
async def test_a_replayed_year_is_stated_whole_by_the_summary_the_word_document_and_the_export(
    harness: Harness,
) -> None:
    h = harness
    await replay_year(h)
    here = Harness.private(LI)
    # The chat: the sections in order, each with its months, within one message's limit.
    text = h.texts(await h.say(LI, f"/summary {YEAR}", here))
    for said, _, _ in FIGURES:
        assert said in text, said
    headings = [text.index(heading) for heading in T.SUMMARY_SECTIONS]
    assert headings == sorted(headings)
    assert "例会 " + "、".join(f"{m}月1" for m in range(1, 13)) in text
    assert "动员会 2月1、3月1、5月1、7月1、8月1、9月1、11月1" in text
    assert "演练 3月1、6月1、11月1" in text and "发布通报 1 件" in text
    assert "包片干部 2 人，包联企业 17 家" in text
    assert len(text) <= 3000  # DingTalk's text limit; Telegram's is 4096

    # The Word document, sent privately through the outbox, read back.
    out = await h.say(LI, f"/summary {YEAR} word")
    assert T.SUMMARY_WORD_WORKING_PRIVATELY.format(period="2025年") in h.texts(out)
    sent = next(s for s in out if s.reply.documents)
    assert sent.chat.chat_id == "p-li" and sent.reply.document_names == ("安全生产工作总结-2025年.docx",)
    doc = Document(str(sent.reply.documents[0]))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "测试园区2025年度安全生产工作总结" in body
    for said, _, _ in FIGURES:
        assert said in body, said
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"][:5] == list(T.SUMMARY_SECTIONS)
    assert len(doc.inline_shapes) == 1  # the weekly-trend chart
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    meetings = next(t for t in tables if t[0][:3] == ["月份", "例会", "动员会"])
    assert len(meetings) == 14 and meetings[-1][:3] == ["合计", "12", "7"]
    checks = next(t for t in tables if t[0][:2] == ["月份", "检查"])
    assert checks[-1][:7] == ["合计", "13", "130", "110", "95", "15", "110"]
    emergency = next(t for t in tables if t[0][:2] == ["月份", "演练"])
    assert emergency[-1][1] == "3" and emergency[-1][emergency[0].index("培训")] == "2"
    plans = next(t for t in tables if t[0][:2] == ["月份", "方案"])
    assert plans[-1][1] == "8"
    firms = next(t for t in tables if t[0][0] == "企业")
    assert len(firms) == 18  # the header, then the 17 enterprises
    assert sum(int(r[2]) for r in firms[1:]) == 110 and sum(int(r[3]) for r in firms[1:]) == 110
    assert all(r[6].startswith("已签订") for r in firms[1:]) and all(r[1] in ("李干部", "马科长") for r in firms[1:])

    # The Excel export: the ledger holds the 110 hazards and 年度汇总 states every figure.
    out = await h.say(LI, f"/export {YEAR}", here)
    book = load_workbook(next(s for s in out if s.reply.documents).reply.documents[0])
    assert sum(1 for r in book["隐患台账"].iter_rows(min_row=3, values_only=True) if r[1]) == 110
    rows = {r[0]: r[1] for r in book["年度汇总"].iter_rows(min_row=3, values_only=True) if r and r[0]}
    for _, label, value in FIGURES:
        assert rows[label] == value, label
    assert rows["检查发现问题隐患（条）"] == 110 and rows["整改销号率"] == "100%"
    assert rows["合计"] is not None  # the month tables' totals follow the figures
    signed = [r for r in book["目标责任状"].iter_rows(min_row=3, values_only=True) if r[2] == T.XLSX_LETTERS_SIGNED]
    assert len(signed) == 17


async def test_a_period_across_two_years_names_its_months_with_the_year(seeded: Harness) -> None:
    h = seeded
    assert "已登记" in h.texts(await h.say(LI, "/drill 2025-12-20 消防演练 华油 30"))
    assert "已登记" in h.texts(await h.say(LI, "/drill 2026-02-03 防汛演练 宏达 20"))
    text = h.texts(await h.say(LI, "/summary 2025-12-01 2026-03-31"))
    assert "演练 2025年12月1、2026年2月1" in text and "2025-12-01 至 2026-03-31" in text
    assert "发送 /summary 2025-12-01 2026-03-31 word" in text


async def test_word_must_come_last_and_the_word_document_is_for_managers(seeded: Harness) -> None:
    h = seeded
    assert T.SUMMARY_WORD_BAD in h.texts(await h.say(LI, "/summary word 2026"))
    assert T.SUMMARY_USAGE in h.texts(await h.say(LI, "/summary word"))
    assert "没看懂日期“明年”" in h.texts(await h.say(LI, "/summary 明年 word"))
    for who in ("zhang", "zhao", "xiao"):
        said = h.texts(await h.say(Harness.person(who), "/summary 2026 word"))
        assert "这个操作需要以下身份之一" in said, who
    # An empty year still makes a document: no chart, and the document says why.
    out = await h.say(LI, "/summary 2026 word", Harness.private(LI))
    doc = Document(str(next(s for s in out if s.reply.documents).reply.documents[0]))
    assert len(doc.inline_shapes) == 0 and T.DOCX_TREND_NONE in [p.text for p in doc.paragraphs]
    # The chart's picture is not left beside the document.
    assert not list(h.app.settings.storage.reports_dir.glob("summary-trend-*"))


def test_months_and_weeks_of_a_period() -> None:
    assert month_edges(date(2026, 1, 1), date(2026, 12, 31)) == [
        *(date(2026, m, 1) for m in range(1, 13)),
        date(2027, 1, 1),
    ]
    assert month_edges(date(2025, 12, 15), date(2026, 2, 10)) == [
        date(2025, 12, 15), date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 11),
    ]  # fmt: skip
    assert month_edges(date(2026, 3, 5), date(2026, 3, 5)) == [date(2026, 3, 5), date(2026, 3, 6)]
    assert trend_weeks(date(2026, 1, 1), date(2026, 12, 31)) == (date(2026, 12, 28), 53)
    assert trend_weeks(date(2026, 3, 2), date(2026, 3, 8)) == (date(2026, 3, 2), 1)


def test_python_docx_and_matplotlib_are_not_imported_at_bot_start() -> None:
    code = (
        "import sys, bot.app, bot.cli\n"
        "bot.app.build_app  # every router module, /summary's included, is imported by now\n"
        "import handlers.reports.commands\n"
        "assert 'docx' not in sys.modules and 'matplotlib' not in sys.modules, 'imported at start'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], check=True, timeout=60)


async def test_the_months_and_the_enterprises_on_sqlite_and_postgresql(any_harness: Harness) -> None:
    h = any_harness
    h.clock.set(at(3, 2).replace(year=2026))
    await seed(h)
    assert issued_card(await h.say(LI, "/meeting 2026-03-10 09:00 管委会三楼会议室 3月安全生产例会"))
    assert issued_card(await h.say(LI, "/meeting 2026-03-20 09:00 管委会三楼会议室 消防安全百日攻坚动员会"))
    assert issued_card(await h.say(LI, "/notice 消防安全百日攻坚行动实施方案 请各企业对照落实。"))
    await h.say(Harness.person("zhang"), "/confirm TZ-2026-01")
    assert "已指定" in h.texts(await h.say(ADMIN, "/officer 华油 李干部"))
    h.clock.set(at(5, 12).replace(year=2026))
    assert "开始" in h.texts(await h.say(LI, "/inspection start 五月检查 华油 宏达 4人次"))
    await h.say(LI, "/hazard 华油 配电箱未接地 立即整改", files=(h.add_file(jpeg(1)),))
    await h.say(LI, "/hazard 宏达 消防通道堵塞 7天内", files=(h.add_file(jpeg(2)),))
    await h.say(LI, "/inspection end")
    await h.say(Harness.person("zhang"), "/fix YH-2026-0001 已接地", files=(h.add_file(jpeg(3)),))
    await h.say(MA, "/accept YH-2026-0001")
    assert "已登记" in h.texts(await h.say(LI, "/drill 2026-01-20 消防演练 华油 30"))
    h.clock.set(at(11, 30).replace(year=2026))
    async with h.app.db.reading() as s:
        y = await year_summary(s, date(2026, 1, 1), date(2026, 12, 31), h.app.settings.park.tz, h.clock.now())
    assert len(y.months) == 12 and y.enterprises == 2
    assert y.series("regular")[2] == 1 and y.series("mobilisation")[2] == 1 and y.series("plan")[2] == 1
    assert y.series("inspections")[4] == 1 and y.series("person_times")[4] == 4
    assert (y.series("found")[4], y.series("immediate")[4], y.series("closed")[4]) == (2, 1, 1)
    assert y.series("drills")[0] == 1 and sum(y.series("trainings")) == 0
    assert sum(y.series("found")) == y.figures.found == 2  # the months add up to the year
    assert len(y.trend) == 53 and sum(found for _, found, _ in y.trend) == 2
    firms = {e.name: e for e in y.per_enterprise}
    huayou = firms["华油装备制造有限公司"]
    assert (huayou.officer, huayou.found, huayou.closed, huayou.receipts_answered, huayou.receipts_due) == (
        "李干部", 1, 1, 1, 3,
    )  # fmt: skip
    assert firms["宏达机械有限公司"].officer is None and firms["宏达机械有限公司"].signed_at is None
    # A period of years (an export of all of it) has its figures without month tables, its last two years' trend.
    async with h.app.db.reading() as s:
        long = await year_summary(s, date(2000, 1, 1), date(2100, 12, 31), h.app.settings.park.tz, h.clock.now())
    assert long.months == [] and long.series("found") == [] and long.figures.found == 2
    assert len(long.trend) == 106 and len(long.per_enterprise) == 2
    text = h.texts(await h.say(LI, "/summary 2000-01-01 2100-12-31"))
    assert "排查安全隐患 2 项" in text and "　按月：" not in text and T.SUMMARY_NO_MONTHS in text


@pytest.mark.e2e
async def test_the_word_document_goes_out_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    admin = tg.user(ADMIN_ID, "王主任", "wang")
    chat = tg.private(admin)
    said = await bot.say(admin, chat, "/summary 2026 word")
    assert said == T.SUMMARY_WORD_WORKING.format(period="2026年")
    await tg.wait_for(lambda: bool(tg.calls_of("sendDocument")))
    sent = tg.calls_of("sendDocument")[0].params
    assert sent["document"]["filename"] == "安全生产工作总结-2026年.docx"
    doc = Document(io.BytesIO(sent["document"]["bytes"]))
    assert doc.paragraphs[0].text == "测试园区2026年度安全生产工作总结"
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"][:5] == list(T.SUMMARY_SECTIONS)
