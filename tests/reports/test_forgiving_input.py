"""Input as people write it (issue 18, item 17): counts with their units in /inspection and /drill, and
a near enterprise name in /report_accept offered as buttons, as /hazards does."""

from __future__ import annotations

from datetime import date

from domain.park import operations as park_ops
from domain.reports import queries as report_queries
from storage.enums import Role
from tests.harness import LI, LIU, ZHANG, Harness, jpeg, seed


async def test_inspection_with_person_times_after_the_enterprise(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = h.texts(await h.say(LI, "/inspection 11月28日 华油 3人次"))
    assert "已登记检查：2026-11-28，华油装备制造有限公司，3 人次" in out
    out = h.texts(await h.say(LI, "/inspection 11月27日 6人次 宏达 消防检查"))
    assert "已登记检查：2026-11-27，宏达机械有限公司，6 人次，消防检查" in out
    out = h.texts(await h.say(LI, "/inspection 11月26日 华油 宏达 2 人次 安全用电"))
    assert "华油装备制造有限公司、宏达机械有限公司，2 人次，安全用电" in out
    assert "人次要写一个正整数" in h.texts(await h.say(LI, "/inspection 今天 华油 很多人"))
    near = h.texts(await h.say(LI, "/inspection 今天 华由 3人次"))  # the name is wrong, not the count
    assert (
        "没有名称或别名正好是“华由”的企业" in near
        and "华油装备制造有限公司" in near
        and "人次要写" not in near
    )
    async with h.app.db.reading() as s:
        figures = await report_queries.summary_figures(
            s, date(2026, 1, 1), date(2026, 12, 31), h.app.settings.park.tz, h.clock.now()
        )
    assert (figures.inspections, figures.inspection_person_times) == (3, 11)


async def test_drill_with_people_written_with_their_unit(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = h.texts(await h.say(LI, "/drill 11月20日 消防演练 华油 120人"))
    assert "已登记应急演练（消防）：2026-11-20，消防演练，华油装备制造有限公司，120 人参加。" in out
    out = h.texts(await h.say(LI, "/drill 11月21日 安全培训 全园区 45 人"))
    assert "已登记安全培训：2026-11-21，安全培训，全园区，45 人参加。本年度已登记培训 1 次。" in out
    assert "人数要写一个正整数" in h.texts(await h.say(LI, "/drill 今天 消防演练 华油 许多人"))


async def test_report_accept_offers_the_enterprise_a_near_name_means(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/campaign 防汛专项行动 2026-12-31 排查排水设施")
    await h.say(ZHANG, "/report ZX-2026-01 已完成排水设施自查", files=(h.add_file(jpeg(1)),))
    out = await h.say(LI, "/report_accept ZX-2026-01 华由")
    offer = next(s for s in out if s.reply.buttons)
    assert "没有名称或别名正好是“华由”的企业" in (offer.reply.text or "")
    labels = [b.label for row in offer.reply.buttons for b in row]
    assert labels == ["审核通过：华油装备制造有限公司"]  # 宏达 is not near; nothing was accepted yet
    assert "已审核通过" not in h.texts(out)
    await h.press(LI, offer, "审核通过：华油装备制造有限公司")
    assert "已审核通过，无需重复" in h.texts(await h.say(LI, "/report_accept ZX-2026-01 华油"))
    # /report_return with a near name offers 退回, which asks the reason.
    await h.say(LIU, "/report ZX-2026-01 已清理排水沟", files=(h.add_file(jpeg(2)),))
    out = await h.say(LI, "/report_return ZX-2026-01 宏大 照片不清楚")
    offer = next(s for s in out if s.reply.buttons)
    assert [b.label for row in offer.reply.buttons for b in row] == ["退回：宏达机械有限公司"]
    await h.press(LI, offer, "退回：宏达机械有限公司")
    asked = h.adapter.sent[-1]
    assert "退回" in (asked.reply.text or "")
    out = await h.say(LI, "照片不清楚，请补拍", reply_to=asked.message_id)
    assert "已退回" in h.texts(out)


async def test_report_accept_offers_lu_wei_for_lu_wei_misspelt(harness: Harness) -> None:
    h = harness
    await seed(h)
    lu = Harness.person("lu", "鲁味负责人")
    async with h.app.db.unit_of_work() as s:
        now = h.clock.now()
        ent = await park_ops.add_enterprise(
            s, name="鲁味食品有限公司", aliases=["鲁味"], industry=None, actor=None, at=now
        )
        p = await park_ops.upsert_person(
            s, platform="test", external_id="lu", display_name="鲁味负责人", username=None, at=now
        )
        await park_ops.set_role(s, p, Role.LEAD, ent, actor=None, at=now)
    await h.say(LI, "/campaign 食品安全专项行动 2026-12-31 排查冷库")
    await h.say(lu, "/report ZX-2026-01 冷库已排查", files=(h.add_file(jpeg(3)),))
    listed = next(s for s in await h.say(LI, "/hazards 路味") if s.reply.buttons)
    assert [b.label for row in listed.reply.buttons for b in row] == [
        "鲁味食品有限公司"
    ]  # as /hazards offers
    out = await h.say(LI, "/report_accept ZX-2026-01 路味")
    offer = next(s for s in out if s.reply.buttons)
    assert [b.label for row in offer.reply.buttons for b in row] == ["审核通过：鲁味食品有限公司"]
    await h.press(LI, offer, "审核通过：鲁味食品有限公司")
    assert "已审核通过，无需重复" in h.texts(await h.say(LI, "/report_accept ZX-2026-01 鲁味"))


async def test_an_unknown_chinese_command_is_answered_as_one(harness: Harness) -> None:
    h = harness
    await seed(h)
    said = h.texts(await h.say(ZHANG, "/我的隐患", chat=h.private(ZHANG)))
    assert "没有 /我的隐患 这个命令" in said and "请用命令和我交流" not in said
    assert "我的待办" in h.texts(await h.say(ZHANG, "/待办", chat=h.private(ZHANG)))
    assert "我的待办" in h.texts(await h.say(ZHANG, "／我的待办", chat=h.private(ZHANG)))
    # `、` starts ordinary lists too: only the known names count there.
    assert "没有" not in h.texts(await h.say(ZHANG, "、我的问题", chat=h.private(ZHANG)))
