"""Inspections that find hazards (issue 19 item 4): who opens and closes one (a rules table), which
hazards are linked to it, the card posted when it ends, the summary's figure and the ledger chain."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from domain.hazards import chain
from domain.hazards.rules import linked_inspection
from domain.reports import queries as report_queries
from domain.reports.export import ledger_pages
from domain.reports.rules import (
    InspectionRefusal,
    inspection_refusal,
    is_recheck,
    may_record_inspection,
    may_run_inspection,
)
from handlers import texts as T
from handlers.reports.ledger_xlsx import _source as source_text
from storage.enums import Role
from storage.models import Hazard, Inspection
from tests.harness import LI, LIU, ZHANG, ZHAO, Harness, jpeg


def person(role: Role | None) -> Any:
    return SimpleNamespace(id=5, role=role, enterprise_id=None)


@pytest.mark.parametrize(
    ("role", "runs", "records"),
    [
        (Role.ADMIN, True, True),
        (Role.MANAGER, True, True),
        (Role.INSPECTOR, True, False),
        (Role.LEAD, False, False),
        (Role.MEMBER, False, False),
        (None, False, False),
    ],
)
def test_who_runs_and_who_records_inspections(role: Role | None, runs: bool, records: bool) -> None:
    assert may_run_inspection(person(role)) is runs
    assert may_record_inspection(person(role)) is records


@pytest.mark.parametrize(
    ("role", "open_now", "starting", "refusal"),
    [
        (Role.MANAGER, False, True, None),
        (Role.MANAGER, True, True, InspectionRefusal.ALREADY_OPEN),
        (Role.INSPECTOR, True, False, None),
        (Role.INSPECTOR, False, False, InspectionRefusal.NONE_OPEN),
        (Role.LEAD, False, True, InspectionRefusal.NOT_ALLOWED),
        (Role.LEAD, True, False, InspectionRefusal.NOT_ALLOWED),
    ],
)
def test_inspection_refusals(role: Role, open_now: bool, starting: bool, refusal: InspectionRefusal | None) -> None:
    assert inspection_refusal(person(role), open_now, starting) == refusal


def inspection(id: int, enterprise_ids: list[int], closed: bool = False, by: int = 5, listed: Any = None) -> Any:
    return SimpleNamespace(
        id=id, enterprise_ids=enterprise_ids, closed_at="then" if closed else None, recorded_by_id=by, inspector_ids=listed
    )


@pytest.mark.parametrize(
    ("open_ones", "person_id", "enterprise_id", "linked"),
    [
        ([], 5, 1, None),
        ([inspection(3, [1, 2])], 5, 1, 3),
        ([inspection(3, [1, 2])], 5, 7, None),  # an enterprise the inspection does not cover
        ([inspection(3, [1], closed=True)], 5, 1, None),
        ([inspection(3, [1]), inspection(4, [1])], 5, 1, 4),  # the newest
        ([inspection(3, [1])], 6, 1, None),  # somebody else's inspection
        ([inspection(3, [1], listed=[6, 8])], 6, 1, 3),  # a listed inspector
        ([inspection(3, [1], listed=[6])], 9, 1, None),
    ],
)
def test_which_inspection_a_hazard_is_linked_to(
    open_ones: list[Any], person_id: int, enterprise_id: int, linked: int | None
) -> None:
    assert linked_inspection(open_ones, person_id, enterprise_id) == linked


async def test_an_inspection_links_its_hazards_and_posts_one_card(seeded: Harness) -> None:
    h = seeded
    said = h.texts(await h.say(ZHAO, "/开始检查 冬季消防检查 华油 宏达 @李干部 3人次"))
    assert "已开始检查“冬季消防检查”" in said and "3 人次" in said and "您和李干部上报" in said
    assert "还有一次检查“冬季消防检查”未结束" in h.texts(await h.say(ZHAO, "/inspection start 又一次 华油"))
    await h.say(ZHAO, "/hazard 华油 配电箱未接地 立即整改", files=(h.add_file(jpeg(1)),))
    await h.say(LI, "/hazard 宏达 消防通道堵塞 7天内", files=(h.add_file(jpeg(2)),))  # a listed inspector
    await h.say(ZHANG, "/hazard 楼梯扶手松动 立即整改", files=(h.add_file(jpeg(3)),))  # not a member: not linked
    card = h.texts(await h.say(ZHAO, "/结束检查"))
    assert "【检查情况】冬季消防检查" in card and "检查人员：赵工、李干部，3 人次" in card
    assert "覆盖企业：华油装备制造有限公司、宏达机械有限公司" in card
    assert "发现隐患 2 项，其中立即整改 1 项、限期整改 1 项。" in card
    assert "YH-2026-0001、YH-2026-0002" in card
    assert T.INSPECTION_REFUSALS["none_open"] in h.texts(await h.say(ZHAO, "/inspection end"))
    # After it is closed, the inspector's reports are no longer linked.
    await h.say(ZHAO, "/hazard 华油 灭火器过期 立即整改", files=(h.add_file(jpeg(4)),))
    async with h.app.db.reading() as s:
        linked = dict((await s.execute(select(Hazard.code, Hazard.inspection_id))).all())
        row = await s.scalar(select(Inspection))
        assert row is not None and row.closed_at is not None and row.name == "冬季消防检查" and row.person_times == 3
        assert linked == {"YH-2026-0001": row.id, "YH-2026-0002": row.id, "YH-2026-0003": None, "YH-2026-0004": None}
        today = h.app.settings.park.day(h.clock.now())
        f = await report_queries.summary_figures(s, today.replace(month=1, day=1), today, h.app.settings.park.tz)
        assert (f.inspections, f.inspection_person_times, f.inspection_found, f.found) == (1, 3, 2, 4)
        assert (await chain.verify(s)).broken is None  # the link is sealed in the ledger's chain
        # The ledger's 来源 names the inspection: 专家（冬季消防检查）
        start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        printed = {r.code: source_text(r) async for page in ledger_pages(s, start, end) for r in page}
        assert printed["YH-2026-0001"] == "专家（冬季消防检查）" and printed["YH-2026-0004"] == "专家"
        assert printed["YH-2026-0002"] == "检查（冬季消防检查）"
    summary = h.texts(await h.say(LI, f"/summary {today.year}"))
    assert "开展安全检查 1 次、出动检查人员 3 人次、检查发现问题隐患 2 条，" in summary


async def test_park_wide_inspection_by_a_manager_and_a_lead_refused(seeded: Harness) -> None:
    h = seeded
    for command in ("/开始检查 节前检查 华油", "/结束检查"):
        assert "这个操作需要以下身份之一" in h.texts(await h.say(LIU, command))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, "/inspection start 节前检查 华油"))
    assert T.INSPECTION_START_USAGE in h.texts(await h.say(LI, "/开始检查"))
    assert "请写明检查的企业" in h.texts(await h.say(LI, "/开始检查 节前检查 不存在"))
    assert "人次要写一个正整数" in h.texts(await h.say(LI, "/开始检查 节前检查 华油 很多"))
    assert "没有找到检查人员“@无名氏”" in h.texts(await h.say(LI, "/开始检查 节前检查 华油 @无名氏"))
    assert "张伟 不是管理人员或检查专家" in h.texts(await h.say(LI, "/开始检查 节前检查 华油 @张伟"))
    said = h.texts(await h.say(LI, "/inspection start 节前检查 全园区"))
    assert "已开始检查“节前检查”" in said and "1 人次" in said
    card = h.texts(await h.say(LI, "/inspection end"))
    assert "发现隐患 0 项，其中立即整改 0 项、限期整改 0 项。" in card


@pytest.mark.parametrize(
    ("name", "recheck"), [("复查", True), ("华油隐患整改复查", True), ("节后回头看", True), ("冬季消防检查", False)]
)
def test_which_inspections_are_rechecks(name: str, recheck: bool) -> None:
    assert is_recheck(name) is recheck


async def test_a_recheck_lists_the_open_hazards_of_its_enterprises(seeded: Harness) -> None:
    h = seeded
    await h.say(ZHANG, "/hazard 楼梯扶手松动 立即整改", files=(h.add_file(jpeg(1)),))
    await h.say(ZHANG, "/hazard 消防通道堵塞 7天内", files=(h.add_file(jpeg(2)),))
    said = h.texts(await h.say(ZHAO, "/开始检查 整改复查 华油"))
    assert "复查对象：以上企业尚未销号的隐患 2 项" in said
    assert "· YH-2026-0001 华油装备制造有限公司：楼梯扶手松动" in said and "YH-2026-0002" in said
    card = h.texts(await h.say(ZHAO, "/结束检查"))
    assert "复查后仍未销号的隐患 2 项：YH-2026-0001、YH-2026-0002。" in card and "/notice 关于整改复查" in card
    assert T.INSPECTION_RECHECK_NONE in h.texts(await h.say(ZHAO, "/开始检查 复查 宏达"))
    assert T.INSPECTION_RECHECK_ALL_CLOSED in h.texts(await h.say(ZHAO, "/结束检查"))
