"""Campaigns (专项行动) through the neutral core: 5 enterprises report, one is returned and resubmits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from domain.campaigns import queries as campaign_queries
from domain.park import operations as park_ops
from handlers.campaigns.card import ReviewButton
from storage.enums import Role
from storage.models import CampaignEvent, CampaignHazard, CampaignTask
from tests.harness import (
    CHEN,
    GROUP,
    LI,
    LIU,
    MA,
    XIAO,
    ZHANG,
    Harness,
    Sent,
    card_of,
    jpeg,
    labels,
    run_reminders,
    seed,
)

LAUNCH = "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施、疏散通道和动火作业管理"
EXTRA = (
    ("恒通石油机械有限公司", "恒通", "heng"),
    ("金禾食品有限公司", "金禾", "jin"),
    ("鑫源装备有限公司", "鑫源", "xin"),
)


async def five_enterprises(h: Harness) -> dict[str, object]:
    """Seed the default park plus three more enterprises, each with a lead who opened a private chat."""
    await seed(h)
    now = h.clock.now()
    leads = {}
    async with h.app.db.unit_of_work() as s:
        for name, alias, user in EXTRA:
            ent = await park_ops.add_enterprise(
                s, name=name, aliases=[alias], industry=None, actor=None, at=now
            )
            p = await park_ops.upsert_person(
                s, platform="test", external_id=user, display_name=f"{alias}负责人", username=None, at=now
            )
            await park_ops.set_role(s, p, Role.LEAD, ent, actor=None, at=now)
            p.private_chat_id = f"p-{user}"
            leads[alias] = Harness.person(user, f"{alias}负责人")
    return leads


def report_card_task(sent: Sent) -> int:
    """Return the task id of a report card (its key is `report:<task id>`)."""
    assert sent.card is not None
    return int(sent.card.key.split(":")[1])


def campaign_card(h: Harness) -> Sent:
    """Return the campaign card in the park group, as it is now."""
    return next(
        s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key.startswith("campaign:")
    )


async def test_campaign_with_five_enterprises_reports_review_and_matrix(
    harness: Harness, clock: ManualClock
) -> None:
    h = harness
    leads = await five_enterprises(h)
    out = await h.say(LI, LAUNCH)
    card = card_of(out)
    fields = labels(card.card)  # type: ignore[arg-type]
    assert card.card.title == "专项行动 ZX-2026-01"  # type: ignore[union-attr]
    assert fields["名称"] == "消防安全百日攻坚" and fields["截止日期"] == "2026-12-31（周四）"
    assert fields["进度"] == "已提交 0/5"

    # 华油 reports by command with a photo; 宏达 by replying to the card; 恒通 through the button's question.
    out = await h.say(
        ZHANG, "/report ZX-2026-01 已完成全厂消防设施排查，整改隐患3处", files=(h.add_file(jpeg(1)),)
    )
    assert "华油装备制造有限公司的 ZX-2026-01 自查报告已提交，等待管理人员审核" in h.texts(out)
    managers = [s for s in out if s.chat.chat_id in ("p-li", "p-ma", "p-admin") and s.card is not None]
    assert len(managers) == 3 and managers[0].card.title == "自查报告 ZX-2026-01｜华油装备制造有限公司"  # type: ignore[union-attr]
    assert labels(campaign_card(h).card)["进度"] == "已提交 1/5"  # type: ignore[arg-type]
    out = await h.say(LIU, "/report 疏散通道已清理", reply_to=card.message_id)
    assert "宏达机械有限公司的 ZX-2026-01 自查报告已提交" in h.texts(out)
    before = len(h.adapter.sent)
    outcome = await h.press(leads["恒通"], card, "提交自查报告")  # type: ignore[arg-type]
    assert outcome.toast == "请在私聊中发送自查报告"
    assert "自查报告：请发送自查情况说明" in h.texts(h.adapter.sent[before:])
    out = await h.say(leads["恒通"], "灭火器全部检查合格", Harness.private(leads["恒通"]))  # type: ignore[arg-type]
    assert "恒通石油机械有限公司的 ZX-2026-01 自查报告已提交" in h.texts(out)
    await h.say(leads["金禾"], "/report 消防安全百日攻坚 动火作业票证已整理")  # type: ignore[arg-type]
    assert labels(campaign_card(h).card)["进度"] == "已提交 4/5"  # type: ignore[arg-type]

    # A member cannot report; a second /report while the first is in review adds to it (补充材料).
    assert "这个操作需要以下身份之一" in h.texts(await h.say(CHEN, "/report ZX-2026-01 补充"))
    assert "已补充到华油装备制造有限公司的 ZX-2026-01 自查报告：说明 1 条" in h.texts(
        await h.say(ZHANG, "/report ZX-2026-01 再交一次")
    )

    # 李干部 accepts 华油 by button, returns 宏达 with a reason (asked as a reply), 马科长 accepts 恒通 by command.
    report_card = next(
        s for s in h.adapter.sent if s.chat.chat_id == "p-li" and s.card and "华油" in s.card.title
    )
    outcome = await h.press(LI, report_card, "审核通过")
    assert outcome.toast == "已审核通过华油装备制造有限公司的 ZX-2026-01 自查报告。"
    # A second press (another copy of the card, or a double tap) changes nothing and says so plainly.
    outcome = await h.press(LI, report_card, data=ReviewButton(report_card_task(report_card), "ok").pack())
    assert outcome.toast == "华油装备制造有限公司的 ZX-2026-01 自查报告已审核通过，无需重复。"
    assert report_card.card.status.text == "已通过" and report_card.card.actions == ()  # type: ignore[union-attr]
    hongda = next(s for s in h.adapter.sent if s.chat.chat_id == "p-li" and s.card and "宏达" in s.card.title)
    await h.press(LI, hongda, "退回")
    asked = h.adapter.sent[-1]
    out = await h.say(LI, "缺少整改前后照片", Harness.private(LI), reply_to=asked.message_id)
    assert "已退回宏达机械有限公司的 ZX-2026-01 自查报告：缺少整改前后照片" in h.texts(out)
    told = [s for s in out if s.chat.chat_id == "p-liu"]
    assert told and "被退回，原因：缺少整改前后照片" in (told[0].reply.text or "")
    out = await h.say(MA, "/report_accept ZX-2026-01 恒通")
    assert "已审核通过恒通石油机械有限公司" in h.texts(out)
    assert "已审核通过，无需重复" in h.texts(await h.say(MA, "/report_accept ZX-2026-01 恒通"))
    fields = labels(campaign_card(h).card)  # type: ignore[arg-type]
    assert fields["进度"] == "已提交 3/5" and fields["已通过"] == "2"

    # 宏达 resubmits with photos; managers who have the card see it edited and get a one-line note.
    out = await h.say(
        LIU, "/report ZX-2026-01 补充整改前后照片", files=(h.add_file(jpeg(2)), h.add_file(jpeg(3)))
    )
    assert "宏达机械有限公司的 ZX-2026-01 自查报告已提交" in h.texts(out)
    assert any("重新提交" in (s.reply.text or "") for s in out if s.chat.chat_id == "p-li")
    assert hongda.card.status.text == "待审核"  # type: ignore[union-attr]
    await h.say(LI, "/report_accept ZX-2026-01 宏达")
    # The deadline passes with 鑫源 still owing its report: overdue on the card, ⚠️ in the matrix.
    clock.set(datetime(2027, 1, 2, 2, 0, tzinfo=UTC))
    out = await h.say(LI, "/campaigns", Harness.private(LI))
    text = h.texts(out)
    assert "① ZX-2026-01 消防安全百日攻坚｜截止 12-31｜已提交 4/5，已通过 3，逾期 1" in text
    assert text.endswith("华油：①✅\n宏达：①✅\n恒通：①✅\n金禾：①📝\n鑫源：①⚠️")
    assert labels(campaign_card(h).card)["进度"] == "已提交 4/5"  # type: ignore[arg-type]
    async with h.app.db.reading() as s:
        rows = {t.enterprise.name: t.status for t in await campaign_queries.tasks(s, 1)}
        assert sorted(str(v) for v in rows.values()) == [
            "accepted",
            "accepted",
            "accepted",
            "pending",
            "submitted",
        ]
        steps = (await s.scalars(select(CampaignEvent.action).order_by(CampaignEvent.id))).all()
        assert steps.count("submit") == 5 and steps.count("return") == 1 and steps.count("accept") == 3


async def test_matrix_reads_on_a_phone_and_comes_as_excel(harness: Harness, clock: ManualClock) -> None:
    h = harness
    leads = await five_enterprises(h)
    await h.say(LI, LAUNCH)
    await h.say(LI, "/campaign 安全生产大检查 2026-12-10 对照检查表逐项自查")
    await h.say(ZHANG, "/report ZX-2026-01 已完成")
    await h.say(LI, "/report_accept ZX-2026-01 华油")
    await h.say(LIU, "/report ZX-2026-02 已完成")
    await h.say(LI, "/report_return ZX-2026-02 宏达 缺少检查表")
    await h.say(leads["金禾"], "/report ZX-2026-01 已完成")  # type: ignore[arg-type]
    clock.set(datetime(2026, 12, 11, 2, 0, tzinfo=UTC))  # 安全生产大检查 is past its due date
    out = await h.say(LI, "/campaigns")
    assert [s.chat.chat_id for s in out] == ["p-li", "group"]
    assert "名单已私聊发给您" in (out[1].reply.text or "")
    text = out[0].reply.text or ""
    assert "① ZX-2026-01 消防安全百日攻坚｜截止 12-31｜已提交 2/5，已通过 1" in text
    assert "② ZX-2026-02 安全生产大检查｜截止 12-10｜已提交 0/5，已通过 0，逾期 5" in text
    assert "华油：①✅ ②⚠️" in text and "宏达：①⏳ ②⚠️" in text and "金禾：①📝 ②⚠️" in text
    out = await h.say(LI, "/campaigns excel", Harness.private(LI))
    path = out[0].reply.documents[0]
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][1] == "ZX-2026-01\n消防安全百日攻坚"
    by_name = {row[0]: row[1:] for row in cells[1:]}
    assert (
        by_name["华油装备制造有限公司"] == ["已通过", "已退回（逾期）"]
        or by_name["华油装备制造有限公司"][0] == "已通过"
    )
    assert by_name["宏达机械有限公司"] == ["未提交", "已退回（逾期）"]
    assert out[0].reply.document_names == ("专项行动进度_消防安全百日攻坚等2项_2026-12-11.xlsx",)
    # Leads and members never see the matrix.
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, "/campaigns"))


async def test_wrong_campaign_input_and_hazard_links(harness: Harness) -> None:
    h = harness
    await seed(h)
    assert "用法：/campaign" in h.texts(await h.say(LI, "/campaign 消防"))
    assert "没有读懂截止日期" in h.texts(await h.say(LI, "/campaign 消防 某天 要求"))
    assert "已经过去了" in h.texts(await h.say(LI, "/campaign 消防 2026-01-01 要求"))
    assert "需要管理员或包片干部身份" in h.texts(await h.say(ZHANG, LAUNCH))
    await h.say(LI, LAUNCH)
    assert "没有找到专项行动" in h.texts(await h.say(ZHANG, "/report ZX-2026-07 已完成"))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(XIAO, "/report ZX-2026-01 已完成"))
    # A hazard reported with the campaign's code is linked to it; a report naming a hazard links it too.
    out = await h.say(ZHANG, "/hazard 消防通道堆放杂物 ZX-2026-01 3天内", files=(h.add_file(jpeg(5)),))
    assert "已关联专项行动 ZX-2026-01（消防安全百日攻坚）" in h.texts(out)
    await h.say(ZHANG, "/hazard 灭火器过期 3天内", files=(h.add_file(jpeg(6)),))
    out = await h.say(ZHANG, "/report ZX-2026-01 自查发现 YH-2026-0002 已登记")
    assert "已把 YH-2026-0002 关联到 ZX-2026-01" in h.texts(out)
    async with h.app.db.reading() as s:
        linked = (await s.scalars(select(CampaignHazard.hazard_id).order_by(CampaignHazard.id))).all()
        assert list(linked) == [1, 2]
    assert labels(campaign_card(h).card)["关联隐患"] == "2"  # type: ignore[arg-type]
    out = await h.say(LI, "/campaign ZX-2026-01")
    assert card_of(out).card.title == "专项行动 ZX-2026-01"  # type: ignore[union-attr]


async def test_campaign_deadline_reminders(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/campaign 安全生产大检查 2026-12-10 对照检查表逐项自查")
    await h.say(ZHANG, "/report ZX-2026-01 已完成")
    app = h.app

    assert await h.remind(datetime(2026, 12, 3, 2, 0, tzinfo=UTC)) == []  # a week before: not yet
    sent = await h.remind(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert [s.chat.chat_id for s in sent] == ["p-liu"]  # only 宏达 owes its report
    assert "宏达机械有限公司还没有提交专项行动 ZX-2026-01" in (sent[0].reply.text or "")
    assert await h.remind(datetime(2026, 12, 7, 8, 0, tzinfo=UTC)) == []  # once a day
    assert await h.remind(datetime(2026, 12, 7, 15, 0, tzinfo=UTC)) == []  # 23:00: quiet hours
    card = campaign_card(h)
    assert labels(card.card).get("逾期") is None  # type: ignore[arg-type]
    sent = await h.remind(datetime(2026, 12, 12, 2, 0, tzinfo=UTC) + timedelta(hours=1))
    assert "已逾期 2 天" in h.texts(sent)
    # Past the due date the group card shows the overdue count (one edit, not a list of names).
    assert labels(card.card)["逾期"] == "1" and card.card.status.text == "已过截止日期"  # type: ignore[arg-type, union-attr]
    edits = card.edits
    await h.remind(datetime(2026, 12, 13, 2, 0, tzinfo=UTC))
    assert card.edits == edits
    async with app.db.reading() as s:
        owed = (await s.scalars(select(CampaignTask.status).order_by(CampaignTask.id))).all()
        assert [str(x) for x in owed] == ["submitted", "pending"]


async def test_a_report_filed_under_the_only_open_campaign_names_it(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, LAUNCH)
    out = await h.say(ZHANG, "/report 消防大检查 已完成全厂自查")
    text = h.texts(out)
    assert "华油装备制造有限公司的 ZX-2026-01 自查报告已提交" in text
    assert (
        "已记入目前唯一进行中的专项行动 ZX-2026-01（消防安全百日攻坚）：“消防大检查”不是行动编号或名称"
        in text
    )
    # Named by its title or code, nothing more needs saying.
    out = await h.say(LIU, "/report 消防安全百日攻坚 已完成")
    assert "唯一进行中" not in h.texts(out) and "宏达机械有限公司的 ZX-2026-01 自查报告已提交" in h.texts(out)
    async with h.app.db.reading() as s:
        notes = {t.enterprise.name: t.note for t in await campaign_queries.tasks(s, 1)}
    assert notes["华油装备制造有限公司"] == "消防大检查 已完成全厂自查"


async def test_campaign_card_counts_photos_and_the_group_reminder_names_no_enterprise(
    harness: Harness, clock: ManualClock
) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma", "liu"))  # 张伟 never opened a private chat
    out = await h.say(
        LI, "/campaign 安全生产大检查 2026-12-10 对照检查表逐项自查", files=(h.add_file(jpeg(7)),)
    )
    assert labels(card_of(out).card)["附件"] == "照片 1 张"  # type: ignore[arg-type]
    await h.say(LIU, "/report ZX-2026-01 已完成", files=(h.add_file(jpeg(8)),))
    report = next(s for s in h.adapter.sent if s.chat.chat_id == "p-li" and s.card and "宏达" in s.card.title)
    assert labels(report.card)["附件"] == "照片 1 张"  # type: ignore[arg-type]
    app = h.app
    before = len(h.adapter.sent)
    await run_reminders(app, datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    await app.sender.settle()
    sent = h.adapter.sent[before:]
    assert [s.chat for s in sent] == [GROUP]
    assert sent[0].reply.text == (
        "张伟，请提交专项行动 ZX-2026-01 的自查报告：回复行动卡片发送 /report <说明>。私聊我发送 /start 后，提醒会私下发给您。"
    )
