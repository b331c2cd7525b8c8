"""Back-filled records (补录, issue 19 item 6): each kind entered with its real date is marked 补录 in its
history, the audit log and the export, sends nothing to the groups or the enterprises, is never reminded
of, and counts in the figures of its real day, week, month and year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from domain.hazards import chain
from domain.reports import queries as report_queries
from storage.enums import DrillKind, HazardStatus, Mode, NoticeCategory
from storage.models import (
    AuditEntry,
    Campaign,
    CampaignTask,
    Drill,
    Hazard,
    HazardEvent,
    Inspection,
    Notice,
    NoticeEvent,
    NoticeReceipt,
    OutboxItem,
    ReminderSent,
    Training,
)
from tests.harness import ADMIN, GROUP, LI, LIU, ZHANG, ZHAO, Harness

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # the conftest clock: Monday 09:00 in the park

YEAR_OF_PAPER = (
    "/补录 会议 2025-03-05 三月份安全例会",
    "/补录 2025年 动员会 4月2日 14:30 消防安全百日攻坚动员会 地点：管委会三楼",
    "/backfill 方案 2025-4-1 消防安全专项整治方案",
    "/补录 专项行动 2025年3月1日 消防安全百日攻坚 截止 6月10日",
    "/补录 检查 2025-03-12 6人次 华油 宏达 消防设施专项检查",
    "/补录 隐患 2025-04-02 华油 二车间配电室 电线裸露 立即整改 2025-04-03 验收 2025-04-05",
    "/补录 隐患 2025-05-06 宏达 仓库 消防通道堆放杂物 限期 5月20日 整改 5月18日 验收 5月21日",
    "/补录 培训 2025-04-15 特种设备安全培训 县市场监管局 外部 全园区 60人次",
    "/补录 演练 2025-06-12 消防演练 宏达 40人",
)


async def _enter_the_year(h: Harness) -> list[str]:
    answers = []
    for command in YEAR_OF_PAPER:
        out = await h.say(LI if "会议" not in command else ADMIN, command)
        assert len(out) == 1 and out[0].chat == GROUP, command  # one reply, where it was asked, nothing else
        answers.append(h.texts(out))
    return answers


async def test_each_kind_back_filled_is_confirmed_with_its_code_and_marked(seeded: Harness) -> None:
    h = seeded
    said = await _enter_the_year(h)
    assert said[0].startswith("【补录】会议 HY-2025-01（例会）：2025-03-05 09:00 三月份安全例会。")
    assert "已按实际日期计入 2025年3月 的统计；没有发到群里，也不会提醒企业。" in said[0]
    assert "【补录】会议 HY-2025-02（动员会（专题会））：2025-04-02 14:30 消防安全百日攻坚动员会，地点：管委会三楼。" in said[1]
    assert "【补录】文件 TZ-2025-01（方案）：2025-04-01 消防安全专项整治方案。" in said[2]
    assert "【补录】专项行动 ZX-2025-01：消防安全百日攻坚，2025-03-01 至 2025-06-10。" in said[3]
    assert said[4].startswith("【补录】已登记检查：2025-03-12，华油装备制造有限公司、宏达机械有限公司，6 人次")
    assert "【补录】隐患 YH-2025-0001：华油装备制造有限公司｜二车间配电室 电线裸露" in said[5]
    assert "发现 2025-04-02，立即整改，整改 2025-04-03，验收销号 2025-04-05。" in said[5]
    assert "发现 2025-05-06，限期整改（2025-05-20 前），整改 2025-05-18，验收销号 2025-05-21。" in said[6]
    assert said[7].startswith("【补录】已登记安全培训：2025-04-15，特种设备安全培训（主办：县市场监管局），外部培训")
    assert said[8].startswith("【补录】已登记应急演练（消防）：2025-06-12，消防演练，宏达机械有限公司，40 人参加。")

    async with h.app.db.reading() as s:
        for model in (Notice, Campaign, Hazard, Inspection, Drill, Training):
            marks = (await s.scalars(select(model.backfilled_at))).all()
            assert marks and all(at == NOW for at in marks), model
        meeting = await s.scalar(select(Notice).where(Notice.code == "HY-2025-01"))
        assert meeting is not None and meeting.category == NoticeCategory.REGULAR
        assert meeting.starts_at == datetime(2025, 3, 5, 1, 0, tzinfo=UTC) and meeting.created_at == meeting.starts_at
        assert await s.scalar(select(func.count()).select_from(NoticeReceipt)) == 0  # nobody asked to answer
        assert await s.scalar(select(func.count()).select_from(CampaignTask)) == 0
        event = await s.scalar(select(NoticeEvent).where(NoticeEvent.notice_id == meeting.id))
        assert event is not None and event.action == "backfill" and event.at == meeting.starts_at
        # The hazard's story carries the real days; it is closed.
        hazard = await s.scalar(select(Hazard).where(Hazard.code == "YH-2025-0002"))
        assert hazard is not None and hazard.status == HazardStatus.CLOSED and hazard.mode == Mode.DEADLINE
        assert hazard.due_date == date(2025, 5, 20) and hazard.location == "仓库"
        events = (await s.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id).order_by(HazardEvent.id))).all()
        assert [(e.action, e.at.date()) for e in events] == [
            ("report", date(2025, 5, 6)), ("fix", date(2025, 5, 18)), ("accept", date(2025, 5, 21)),
        ]  # fmt: skip
        assert all(e.data.get("backfill") is True for e in events)
        assert hazard.found_at.date() == date(2025, 5, 6) and hazard.closed_at == events[-1].at
        # The audit log: who back-filled it and when (now), and the real day it happened.
        audit = (await s.scalars(select(AuditEntry).where(AuditEntry.entity_id == "YH-2025-0002"))).all()
        assert [a.action for a in audit] == ["hazard.report", "hazard.fix", "hazard.accept"]
        assert all(a.at == NOW and a.detail["backfill"] is True for a in audit)
        assert audit[0].detail["happened_at"].startswith("2025-05-06")
        actions = set(await s.scalars(select(AuditEntry.action).where(AuditEntry.at == NOW)))
        assert {"notice.backfill", "campaign.backfill", "inspection.backfill", "training.backfill", "drill.backfill"} <= actions
        notice_audit = await s.scalar(select(AuditEntry).where(AuditEntry.entity_id == "HY-2025-01"))
        assert notice_audit is not None and notice_audit.actor_id is not None
        assert notice_audit.detail["happened_at"].startswith("2025-03-05")
        # Nothing went out but the nine replies in the group.
        outbox = (await s.scalars(select(OutboxItem))).all()
        assert len(outbox) == len(YEAR_OF_PAPER) and {o.chat_id for o in outbox} == {GROUP.chat_id}
        # The ledger's chain holds the back-filled hazards, their states sealed with 补录.
        assert (await chain.verify(s)).broken is None

    # The history says 补录 and when it was entered; the lists of drills and trainings too.
    story = h.texts(await h.say(LI, "/hazard YH-2025-0001"))
    assert "2025-04-02 09:00 李干部 上报" in story and "补录（2026-11-30 09:00 录入）" in story
    assert "（补录）" in h.texts(await h.say(LI, "/drills 2025"))
    assert "（补录）" in h.texts(await h.say(LI, "/trainings 2025"))
    assert "是补录的记录：按实际日期计入统计，不收回执、不提醒。" in h.texts(await h.say(LI, "/receipts HY-2025-01", Harness.private(LI)))


async def test_back_filled_records_are_never_reminded_of_nor_owed(seeded: Harness) -> None:
    h = seeded
    await _enter_the_year(h)
    for later in (timedelta(hours=2), timedelta(days=1, hours=1), timedelta(days=8), timedelta(days=40)):
        sent = await h.remind(NOW + later)
        assert not sent, h.texts(sent)
    async with h.app.db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(ReminderSent)) == 0
    # A lead owes nothing, and a 收到 without a code does not land on a back-filled notice.
    assert "目前没有等您处理的事项" in h.texts(await h.say(ZHANG, "/todo", Harness.private(ZHANG)))
    answer = h.texts(await h.say(LIU, "/confirm", Harness.private(LIU)))
    assert "HY-2025" not in answer and "TZ-2025" not in answer


async def test_back_filled_records_count_in_the_figures_of_their_real_date(seeded: Harness) -> None:
    h = seeded
    await h.say(LI, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会")  # this year's, live
    await _enter_the_year(h)
    tz = h.app.settings.park.tz
    async with h.app.db.reading() as s:
        year = await report_queries.summary_figures(s, date(2025, 1, 1), date(2025, 12, 31), tz, NOW)
        assert year.broadcast.meetings == 2 and year.broadcast.meetings_by_category == {"regular": 1, "mobilisation": 1}
        assert year.broadcast.notices_by_category == {"plan": 1}
        assert [c.title for c in year.broadcast.campaigns] == ["ZX-2025-01 消防安全百日攻坚"]
        assert (year.inspections, year.inspection_person_times) == (1, 6)
        assert (year.found, year.rectified_immediately, year.rectified_by_deadline, year.closed, year.still_open) == (2, 1, 1, 2, 0)
        assert (year.drills, year.drill_people, year.drill_kinds) == (1, 40, {DrillKind.FIRE: 1})
        assert (year.trainings, year.training_people, year.trainings_external) == (1, 60, 1)
        april = await report_queries.summary_figures(s, date(2025, 4, 1), date(2025, 4, 30), tz, NOW)
        assert (april.found, april.closed, april.trainings, april.broadcast.meetings, april.inspections) == (1, 1, 1, 1, 0)
        this_year = await report_queries.summary_figures(s, date(2026, 1, 1), date(2026, 12, 31), tz, NOW)
        assert (this_year.found, this_year.inspections, this_year.drills, this_year.trainings) == (0, 0, 0, 0)
        assert this_year.broadcast.meetings == 0 and this_year.broadcast.campaigns == ()
        week = await report_queries.week_figures(s, date(2025, 3, 31), NOW.date(), tz, now=NOW)  # 2025-W14
        assert (week.total("found"), week.total("closed_immediate")) == (1, 1)
        assert week.broadcast.meetings_by_category == {"mobilisation": 1} and week.broadcast.notices == 1
    digest = h.texts(await h.say(LI, "/week 2025-W10"))  # 03-03—03-09: the 例会 of 03-05, the campaign running
    assert "召开会议 1 次（例会 1 次）" in digest and "· ZX-2025-01 消防安全百日攻坚：补录，未分企业记录" in digest
    summary = h.texts(await h.say(LI, "/summary 2025"))
    assert "召开安全生产例会 1 次、动员会（专题会） 1 次" in summary
    assert "排查安全隐患 2 项" in summary and "开展安全检查 1 次、出动检查人员 6 人次" in summary

    out = await h.say(LI, "/export 2025", Harness.private(LI))
    wb = load_workbook(next(s for s in out if s.reply.documents).reply.documents[0])
    rows = [r for r in wb["隐患台账"].iter_rows(min_row=3, values_only=True) if r[1]]
    assert [(r[1], r[6]) for r in rows] == [("YH-2025-0001", "检查（补录）"), ("YH-2025-0002", "检查（补录）")]
    campaigns = [r for r in wb["专项行动"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert campaigns[0][:2] == ("ZX-2025-01 消防安全百日攻坚（补录）", "（补录，未分企业记录）")
    listed = [r for r in wb["会议与文件"].iter_rows(values_only=True) if r[0] and str(r[0]).startswith(("HY-", "TZ-"))]
    assert [(r[0], r[2]) for r in listed] == [
        ("HY-2025-01", "三月份安全例会（补录）"),
        ("HY-2025-02", "消防安全百日攻坚动员会（补录）"),
        ("TZ-2025-01", "消防安全专项整治方案（补录）"),
    ]


@pytest.mark.parametrize("who", [ZHANG, ZHAO, LIU])
async def test_only_admins_and_managers_back_fill(seeded: Harness, who: object) -> None:
    h = seeded
    for command in YEAR_OF_PAPER:
        said = h.texts(await h.say(who, command))  # type: ignore[arg-type]
        assert "这个操作需要以下身份之一：管理员、包片干部" in said, command
    async with h.app.db.reading() as s:
        for model in (Notice, Campaign, Hazard, Inspection, Drill, Training):
            assert await s.scalar(select(func.count()).select_from(model)) == 0, model


async def test_bad_input_gets_the_usage_and_records_nothing(seeded: Harness) -> None:
    h = seeded
    cases = {
        "/补录": "用法：/补录 <类别> <日期> <内容>",
        "/补录 电梯 2025-01-01 年检": "没看懂要补录的类别“电梯”",
        "/补录 会议": "请在类别后写实际日期",
        "/补录 会议 下周 例会": "没看懂日期“下周”",
        "/补录 会议 2025-02-30 例会": "没看懂日期“2025-02-30”",
        "/补录 会议 2027-01-01 明年例会": "日期 2027-01-01 还没到",
        "/补录 会议 2025-03-05": "请写会议的名称",
        "/补录 专项行动 2025-03-01 百日攻坚 截止 2025-02-01": "早于开始日期 2025-03-01",
        "/补录 专项行动 2025-03-01 百日攻坚 截止 2027-01-31": "截止日期 2027-01-31 还没到：仍在进行的专项行动请用 /campaign 发布",
        "/补录 隐患 2025-04-02 华油 电线裸露": "请写验收日期",
        "/补录 隐患 2025-04-02 华由 电线裸露 验收 4月5日": "没有名称或别名正好是“华由”的企业",
        "/补录 隐患 2025-04-10 华油 电线裸露 整改 2025-04-08 验收 2025-04-12": "整改日期 2025-04-08 早于发现日期 2025-04-10",
        "/补录 隐患 2025-04-10 华油 电线裸露 验收 2027-01-01": "日期 2027-01-01 还没到",
        "/补录 隐患 2025-04-10 华油 电线裸露 限期 尽快 验收 4月12日": "“限期”后面要写日期",
        "/补录 隐患 2025-04-10 华油 立即整改 验收 4月12日": "请写隐患描述",
        "/补录 隐患 2025-04-10 华油 电线裸露 验收 4月12日 检查：冬季检查": "没有找到 2025-04-10 以前、检查了华油装备制造有限公司的检查“冬季检查”",
        "/补录 隐患 2025-04-10 华油 电线裸露 验收 4月12日 检查：": "“检查：”后面要写检查的名称",
        "/补录 检查 2025-03-12 华油": "补录的写法：/补录 检查 <日期> …，日期之后的内容与 /inspection 相同",
        "/补录 演练 2025-03-12 联欢会 华油": "补录的写法：/补录 演练",
    }
    for command, answer in cases.items():
        said = h.texts(await h.say(LI, command))
        assert answer in said, (command, said)
    async with h.app.db.reading() as s:
        for model in (Notice, Campaign, Hazard, Inspection, Drill, Training):
            assert await s.scalar(select(func.count()).select_from(model)) == 0, model


async def test_a_day_without_a_year_is_the_last_such_day_or_the_year_said(seeded: Harness) -> None:
    h = seeded
    assert "HY-2025-01（例会）：2025-12-25 09:00 年终例会" in h.texts(await h.say(LI, "/补录 例会 12月25日 年终例会"))
    assert "HY-2026-01（例会）：2026-03-05 09:00 三月例会" in h.texts(await h.say(LI, "/补录 例会 3月5日 三月例会"))
    assert "HY-2024-01（例会）：2024-03-05 09:00 三月例会" in h.texts(await h.say(LI, "/补录 2024年 例会 3月5日 三月例会"))
    out = h.texts(await h.say(LI, "/补录 隐患 2025-12-30 华油 电线裸露 立即整改 验收 1月3日"))
    assert "发现 2025-12-30，立即整改，整改 2025-12-30，验收销号 2026-01-03。" in out
