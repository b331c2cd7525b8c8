"""A year of paper records back-filled (issue 19, item 6 with the "done when" figures): 12 例会 and 7 动员会,
8 方案, 7 campaigns, 13 inspections with 130 person-times finding 110 hazards (95 fixed at once, 15 by a
deadline, all closed), 3 fire drills and 2 trainings, entered now with last year's dates, read back by
the summary, the week and the export as if they had happened then."""

from __future__ import annotations

import time
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from domain.hazards import chain
from domain.reports import queries as report_queries
from storage.enums import DrillKind
from storage.models import OutboxItem, ReminderSent
from tests.harness import LI, Harness


def _paper_year() -> list[str]:
    commands = [f"/补录 例会 2025-{m}-05 {m}月份安全例会" for m in range(1, 13)]
    commands += [f"/补录 动员会 2025-{m}-08 专项行动动员会{m}" for m in range(2, 9)]
    commands += [f"/补录 方案 2025-{m}-09 专项整治方案{m}" for m in range(2, 10)]
    commands += [f"/补录 专项行动 2025-{m}-10 专项行动{m} 截止 {m}月28日" for m in range(2, 9)]
    commands += [f"/补录 检查 2025-{(i - 1) % 12 + 1}-{15 if i <= 12 else 20} 10人次 华油 宏达 第{i}次检查" for i in range(1, 14)]
    for n in range(110):
        i = n % 13 + 1
        month, day = (i - 1) % 12 + 1, 15 if i <= 12 else 20
        where = ("华油", "二车间配电室") if n % 2 else ("宏达", "仓库")
        story = (
            f"立即整改 验收 {month}月{day + 1}日"
            if n < 95
            else f"限期 {month}月{day + 5}日 整改 {month}月{day + 4}日 验收 {month}月{day + 6}日"
        )
        commands.append(f"/补录 隐患 2025-{month}-{day} {where[0]} {where[1]} 问题{n + 1} {story} 检查：第{i}次检查")
    commands += [
        "/补录 演练 2025-03-10 消防演练 华油 50",
        "/补录 演练 2025-06-12 消防演练 宏达 40",
        "/补录 演练 2025-11-05 消防疏散演练 全园区 120",
        "/补录 培训 2025-04-15 特种设备安全培训 县市场监管局 外部 全园区 60人次",
        "/补录 培训 2025-05-10 安全执法培训 县应急管理局 外部 2天 华油 宏达 35人次",
    ]
    return commands


async def test_a_year_of_paper_records_reads_as_the_summary_writes_it(seeded: Harness) -> None:
    h = seeded
    commands = _paper_year()
    started = time.perf_counter()
    for command in commands:
        said = h.texts(await h.say(LI, command))
        assert said.startswith("【补录】"), (command, said)
    took = time.perf_counter() - started
    print(f"back-filled {len(commands)} records in {took:.1f} s ({took / len(commands) * 1000:.0f} ms each)")

    async with h.app.db.reading() as s:
        f = await report_queries.summary_figures(s, date(2025, 1, 1), date(2025, 12, 31), h.app.settings.park.tz, h.clock.now())
        assert f.broadcast.meetings_by_category == {"regular": 12, "mobilisation": 7}
        assert f.broadcast.notices_by_category == {"plan": 8} and len(f.broadcast.campaigns) == 7
        assert (f.inspections, f.inspection_person_times, f.inspection_found) == (13, 130, 110)
        assert (f.found, f.rectified_immediately, f.rectified_by_deadline, f.closed, f.still_open) == (110, 95, 15, 110, 0)
        assert (f.drills, f.drill_kinds, f.drill_people) == (3, {DrillKind.FIRE: 3}, 210)
        assert (f.trainings, f.training_people) == (2, 95)
        now_year = await report_queries.summary_figures(s, date(2026, 1, 1), date(2026, 12, 31), h.app.settings.park.tz, h.clock.now())
        assert (now_year.found, now_year.inspections, now_year.broadcast.meetings) == (0, 0, 0)
        assert (await chain.verify(s)).broken is None
        assert await s.scalar(select(func.count()).select_from(OutboxItem)) == len(commands)  # the answers only
    summary = h.texts(await h.say(LI, "/summary 2025"))
    for figure in (
        "召开安全生产例会 12 次、动员会（专题会） 7 次",
        "印发方案 8 件",
        "开展专项行动 7 项",
        "开展安全检查 13 次、出动检查人员 130 人次",
        "排查安全隐患 110 项",
        "立即整改 95 项、限期整改 15 项",
        "已验收销号 110 项，整改销号率 100%",
        "开展应急演练 3 次（消防 3 次）、参演 210 人次；组织安全培训 2 次、95 人次（外部培训 2 次）",
    ):
        assert figure in summary, figure
    sent = await h.remind(h.clock.now().replace(hour=2))
    assert not sent
    async with h.app.db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(ReminderSent)) == 0

    out = await h.say(LI, "/export 2025", Harness.private(LI))
    wb = load_workbook(next(s for s in out if s.reply.documents).reply.documents[0])
    rows = [r for r in wb["隐患台账"].iter_rows(min_row=3, values_only=True) if r[1]]
    assert len(rows) == 110 and all(str(r[6]).endswith("（补录）") for r in rows)
    assert rows[0][6] == "检查（第1次检查）（补录）"
