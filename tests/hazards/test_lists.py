"""Managers' lists and search (/hazards filters and pages, /search) and the Chinese command aliases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.messages import Incoming
from storage.models import HazardPhoto
from tests.harness import GROUP, LI, LIU, XIAO, ZHANG, ZHAO, Harness, Sent, card_of, jpeg, seed


def incoming(text: str) -> Incoming:
    """Return a message with this text, for parsing tests."""
    return Incoming("k", ZHANG, GROUP, text, datetime(2026, 11, 30, tzinfo=UTC))


async def report(h: Harness, who: object, text: str, seed_: int) -> Sent:
    """Report a hazard with one photo and return its card."""
    out = await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(seed_)),))  # type: ignore[arg-type]
    return card_of(out)


def test_chinese_aliases_full_width_slash_and_ime_comma() -> None:
    cases = {
        "/隐患 配电箱门未关": ("hazard", "配电箱门未关"),
        "/隐患配电箱门未关": ("hazard", "配电箱门未关"),
        "/隐患列表 逾期": ("hazards", "逾期"),
        "/整改 YH-2026-1 已加锁": ("fix", "YH-2026-1 已加锁"),
        "/验收 YH-2026-1": ("accept", "YH-2026-1"),
        "/驳回 YH-2026-1 照片不清": ("reject", "YH-2026-1 照片不清"),
        "/帮助": ("help", ""),
        "、hazard 配电箱": ("hazard", "配电箱"),
        "／fix 已加锁": ("fix", "已加锁"),
        "、隐患列表": ("hazards", ""),
        "/hazards@safety_bot 逾期": ("hazards", "逾期"),
        "／Fix@safety_bot 已加锁": ("fix", "已加锁"),
    }
    for text, (command, args) in cases.items():
        msg = incoming(text)
        assert (msg.command, msg.args) == (command, args), text
    for text in ("隐患 配电箱", "配电箱、hazard", "/ hazard", "、、"):
        assert incoming(text).command is None, text


async def test_aliases_reach_the_handlers_and_help_lists_them(harness: Harness) -> None:
    h = harness
    await seed(h)
    private = h.private(ZHANG)
    card = card_of(
        await h.say(ZHANG, "／隐患 配电箱门未关闭 限期 12月10日", private, files=(h.add_file(jpeg(1)),))
    )
    assert card.card is not None and card.card.title == "隐患 YH-2026-0001"
    assert "共 1 条" in h.texts(await h.say(ZHANG, "、隐患列表", private))
    help_text = h.texts(await h.say(LI, "/帮助", h.private(LI)))
    for alias in ("/隐患", "/整改", "/验收", "/驳回", "/隐患列表", "/帮助"):
        assert alias in help_text


async def test_manager_filters_status_level_category_month_and_combined(harness: Harness) -> None:
    h = harness
    await seed(h)
    first = await report(h, ZHANG, "配电箱门未关 限期 12月10日", 1)  # 用电安全, general
    await report(h, ZHANG, "消防栓被遮挡 重大隐患 限期 12月20日", 2)  # 消防安全, major
    await report(h, LIU, "冲床防护罩缺失 重大隐患 3天内", 3)
    await h.say(ZHANG, "/fix 已加锁", files=(h.add_file(jpeg(4)),), reply_to=first.message_id)
    todo = h.texts(await h.say(LI, "/hazards 待验收"))
    assert "隐患（待验收）（共 1 条）" in todo and "YH-2026-0001" in todo
    major = h.texts(await h.say(LI, "/hazards 重大"))
    assert "共 2 条" in major and "YH-2026-0001" not in major
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/隐患列表 重大 待验收"))
    fire = h.texts(await h.say(LI, "/hazards 消防安全"))
    assert "共 1 条" in fire and "YH-2026-0002" in fire
    both = h.texts(await h.say(LI, "/hazards 宏达 重大"))
    assert "宏达机械有限公司、重大隐患、未销号" in both and "YH-2026-0003" in both
    assert "只能查看本企业" in h.texts(await h.say(ZHANG, "/hazards 宏达 重大"))
    assert "YH-2026-0003" not in h.texts(await h.say(ZHANG, "/hazards 重大"))  # a lead sees their own

    assert "已销号" in h.texts(await h.say(LI, "/验收 YH-2026-0001"))
    closed = h.texts(await h.say(LI, "/hazards 已销号"))
    assert "共 1 条" in closed and "YH-2026-0001" in closed and "已销号" in closed
    # 2026-11-30 09:00 in the park; 本月 is November, all statuses but withdrawn.
    assert "共 3 条" in h.texts(await h.say(LI, "/hazards 本月"))
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/hazards 上月"))
    assert "2026年11月发现" in h.texts(await h.say(LI, "/hazards 2026-11 重大"))
    h.clock.advance(timedelta(days=2))  # December in the park: November is 上月
    assert "共 3 条" in h.texts(await h.say(LI, "/hazards 上月"))
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/hazards 本月"))


async def test_month_is_the_park_day_not_utc(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    h.clock.set(datetime(2026, 10, 31, 17, 0, tzinfo=UTC))  # 11-01 01:00 in Shanghai
    await report(h, ZHANG, "配电箱门未关 限期 12月10日", 1)
    assert "共 1 条" in h.texts(await h.say(LI, "/hazards 2026年11月"))
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/hazards 2026-10"))


async def test_pages_by_button_and_by_command(harness: Harness) -> None:
    h = harness
    await seed(h)
    for i in range(65):
        await report(h, ZHANG, f"第{i}号配电箱门未关 限期 12月10日", 100 + i)
    first = [s for s in await h.say(LI, "/hazards") if s.reply.text]
    assert "共 65 条，第 1/3 页" in first[0].reply.text  # type: ignore[operator]
    assert first[0].reply.text.count("YH-2026-") == 30  # type: ignore[union-attr]
    nxt = first[0].reply.buttons[-1][0]  # under the rows' own buttons (提交整改 …)
    assert nxt.label == "下一页" and nxt.command == "/hazards 第2页"
    before = len(h.adapter.sent)
    await h.press(LI, first[0], "下一页")
    second = h.adapter.sent[before:]
    assert "第 2/3 页" in h.texts(second) and h.texts(second).count("YH-2026-") == 30
    await h.press(LI, second[0], "下一页")
    third = h.adapter.sent[before + 1 :]
    assert "第 3/3 页" in h.texts(third) and h.texts(third).count("YH-2026-") == 5
    assert "下一页" not in [b.label for row in third[-1].reply.buttons for b in row]
    by_command = h.texts(await h.say(LI, "/hazards 华油 第2页"))
    assert "第 2/3 页" in by_command
    assert "没有第 4 页了" in h.texts(await h.say(LI, "/hazards 第4页"))
    # the filter travels with the button: 华油's pages name 华油
    page = next(s for s in await h.say(LI, "/hazards 华油") if s.reply.buttons)
    assert page.reply.buttons[-1][0].command == "/hazards 华油装备制造有限公司 第2页"
    # a manager's 下一页 for another enterprise, pressed by a lead, is refused
    liu_page = h.texts(await h.say(LIU, "/hazards 第2页"))
    assert "没有符合条件的隐患" in liu_page
    await h.press(LIU, page, "下一页")
    assert "只能查看本企业" in h.texts(h.adapter.sent[-1:])


async def test_search_description_and_code_within_what_one_may_view(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    await report(h, ZHANG, "二车间Abc配电箱门未关 限期 12月10日", 1)
    await report(h, ZHANG, "进度100%完成_待查 限期 12月10日", 2)
    await report(h, LIU, "ABC车间配电箱无标识 限期 12月10日", 3)
    park = h.texts(await h.say(LI, "/search abc"))
    assert "共 2 条" in park and "YH-2026-0001" in park and "YH-2026-0003" in park
    own = h.texts(await h.say(ZHANG, "/search 配电箱"))
    assert "共 1 条" in own and "YH-2026-0003" not in own
    assert "没有符合条件的隐患" in h.texts(await h.say(LIU, "/search Abc配电箱门"))
    assert "YH-2026-0002" in h.texts(await h.say(LI, "/search 100%"))
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/search 1%完"))  # % is literal
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/search 配_箱"))  # _ is literal
    assert "YH-2026-0002" in h.texts(await h.say(LI, "/search %完成_"))
    assert "YH-2026-0003" in h.texts(await h.say(LI, "/search yh-2026-3"))
    assert "YH-2026-0001" not in h.texts(await h.say(LIU, "/search YH-2026-0001"))
    assert "用法" in h.texts(await h.say(LI, "/search"))


async def test_private_photo_without_caption_offers_to_register(harness: Harness) -> None:
    h = harness
    await seed(h)
    private = h.private(ZHANG)
    out = await h.say(ZHANG, "", private, files=(h.add_file(jpeg(1)),), media_group_id="a1")
    assert h.texts(out) == "收到一张照片。要把它登记为隐患吗？"
    offer = out[0]
    assert await h.say(ZHANG, "", private, files=(h.add_file(jpeg(2)),), media_group_id="a1") == []
    await h.press(ZHANG, offer, "登记隐患")
    assert "请用一句话描述这处隐患" in h.texts(h.adapter.sent[-1:])
    out = await h.say(ZHANG, "二车间配电箱门未关闭 限期 12月10日", private)
    card = card_of(out)
    assert card.card is not None and card.card.title == "隐患 YH-2026-0001"
    assert len(card.card.photos) >= 1
    async with h.app.db.unit_of_work() as s:
        count = await s.scalar(select(func.count()).select_from(HazardPhoto))
    assert count == 2  # both photos of the album
    # 不用了 forgets the photo; a later text is not taken as a description
    out = await h.say(ZHANG, "", private, files=(h.add_file(jpeg(3)),))
    outcome = await h.press(ZHANG, out[0], "不用了")
    assert outcome.toast == "好的，这张照片不登记。"
    assert "请用命令" in h.texts(await h.say(ZHANG, "消防栓被遮挡", private))
    # a person without a role gets the usual hint, and nothing in the group is offered
    assert "请用命令" in h.texts(await h.say(XIAO, "", h.private(XIAO), files=(h.add_file(jpeg(4)),)))
    assert await h.say(ZHANG, "", GROUP, files=(h.add_file(jpeg(5)),), reply_to_bot=True) == []


async def test_photo_offer_for_an_inspector_asks_the_enterprise(harness: Harness) -> None:
    h = harness
    await seed(h, private=("zhao",))
    private = h.private(ZHAO)
    out = await h.say(ZHAO, "", private, files=(h.add_file(jpeg(1)),))
    await h.press(ZHAO, out[0], "登记隐患")
    pick = await h.say(ZHAO, "仓库堆放杂物 立即整改", private)
    assert "宏达" in str(pick[-1].reply.buttons)
    await h.press(ZHAO, pick[-1], "宏达")
    card = next(s for s in h.adapter.sent if s.card is not None)
    assert card.card is not None and "宏达机械有限公司" in str(card.card.fields)
    # a stale 登记隐患 press is answered, not taken
    outcome = await h.press(ZHAO, out[0], "登记隐患")
    assert outcome.toast == "这张照片的登记已经过期或已处理，请重新发送照片。"
