"""Correcting a notice after it went out (issue #18 item 5): wording and files fixed in place with the
receipts kept, the place or time changed with whoever answered told, a notice withdrawn (撤回) and then
counted nowhere; each correction kept as an event with who and what."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import FileRef
from storage.models import Chat, NoticeEvent
from tests.harness import (
    CHEN,
    GROUP,
    LI,
    MA,
    ZHANG,
    ZHAO,
    Harness,
    Sent,
    card_of,
    jpeg,
    labels,
    run_reminders,
    seed,
)

MEETING = "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 通报11月隐患整改情况"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def group_card(h: Harness, key: str = "notice:1") -> Sent:
    """Return the notice card the bot posted in the park group (its current state)."""
    return next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key == key)


def pdf(h: Harness, name: str, salt: bytes = b"") -> FileRef:
    """Register a small real PDF and return a document reference to it."""
    file_id = f"pdf-{name}"
    data = PDF.replace(b"1 0 obj", b"1 0 obj" + salt)
    h.adapter.files[file_id] = data
    return FileRef(file_id, "document", len(data), "application/pdf", name)


def private_to(h: Harness, user_id: str, sent: list[Sent]) -> list[Sent]:
    """Return the messages among `sent` that went to one person's private chat."""
    return [s for s in sent if s.chat.chat_id == f"p-{user_id}"]


async def test_wording_and_files_are_corrected_in_place_and_receipts_stand(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, "/notice 关于报送值班表的通知。请于12月10日前报送。", files=(pdf(h, "值班表.pdf"),))
    card = card_of(out)
    await h.press(ZHANG, card, "收到")
    assert labels(group_card(h).card)["回执"] == "已回执 1/2"  # type: ignore[arg-type]
    posted = len([s for s in h.adapter.sent if s.card is not None and not s.reply.edit])

    # The text: the card changes where it is, the receipt stands, nobody who answered is bothered.
    out = await h.say(LI, "/修改通知 TZ-2026-01 内容 请于12月12日前报送（日期更正）。")
    assert "已修改 TZ-2026-01 的内容" in h.texts(out) and "已回执 1/2" in h.texts(out)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["内容"] == "请于12月12日前报送（日期更正）。" and fields["回执"] == "已回执 1/2"
    assert "李干部修改了内容" in fields["更正记录"]
    assert not private_to(h, "zhang", out)

    # A file added (the command's caption, replying to the card): posted to the group, listed on the card.
    out = await h.say(MA, "/修改通知", files=(pdf(h, "值班表模板.pdf", b"2"),), reply_to=card.message_id)
    assert "已为 TZ-2026-01 添加附件：《值班表模板.pdf》" in h.texts(out)
    in_group = [s for s in out if s.chat == GROUP and s.reply.documents]
    assert in_group and in_group[0].reply.document_names == ("值班表模板.pdf",)
    assert labels(group_card(h).card)["附件"] == "《值班表.pdf》、《值班表模板.pdf》"  # type: ignore[arg-type]
    # The same file again is not added twice.
    out = await h.say(LI, "/修改通知 TZ-2026-01", files=(pdf(h, "值班表模板.pdf", b"2"),))
    assert "已经有了" in h.texts(out)

    # A file removed by its number or by words of its name.
    out = await h.say(LI, "/修改通知 TZ-2026-01 删除附件 值班表.p")
    assert "已从 TZ-2026-01 删除附件 《值班表.pdf》" in h.texts(out)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["附件"] == "《值班表模板.pdf》" and fields["回执"] == "已回执 1/2"
    out = await h.say(LI, "/修改通知 TZ-2026-01 删除附件 5")
    assert "没有附件“5”" in h.texts(out) and "1. 《值班表模板.pdf》" in h.texts(out)

    # Every correction is an edit of the card, never a new card; each is an event with who and what.
    assert len([s for s in h.adapter.sent if s.card is not None and not s.reply.edit]) == posted
    async with h.app.db.reading() as s:
        events = (await s.scalars(select(NoticeEvent).order_by(NoticeEvent.id))).all()
    assert [e.action for e in events] == ["issue", "confirm", "edit", "files_add", "files_remove"]
    edit = events[2]
    assert edit.data["body_from"] == "请于12月10日前报送。" and edit.data["body_to"].startswith("请于12月12日")
    assert events[4].data["document"] == "值班表.pdf"


async def test_wrong_correction_input_says_what_and_how(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, MEETING)
    said = h.texts(await h.say(LI, "/修改通知 内容 新内容"))
    assert (
        "请写明是哪条通知" in said and "HY-2026-01（12月安全生产例会）" in said and "用法：/修改通知" in said
    )
    assert "没有找到编号为 HY-2026-09 的通知" in h.texts(await h.say(LI, "/修改通知 HY-2026-09 内容 x"))
    assert "没有读懂要修改什么：“颜色 红色”" in h.texts(await h.say(LI, "/修改通知 HY-2026-01 颜色 红色"))
    assert "请在“地点”后面写上新的内容" in h.texts(await h.say(LI, "/修改通知 HY-2026-01 地点"))
    assert "标题最多 60 个字" in h.texts(await h.say(LI, "/修改通知 HY-2026-01 标题 " + "很" * 61))
    assert "没有读懂会议日期" in h.texts(await h.say(LI, "/修改通知 HY-2026-01 时间 某天 09:00"))
    menu = h.texts(await h.say(LI, "/修改通知 HY-2026-01"))
    assert "/修改通知 HY-2026-01 议程 <新内容>" in menu and "/撤回 HY-2026-01" in menu and "附件：无" in menu
    assert "HY-2026-01 没有附件" in h.texts(await h.say(LI, "/修改通知 HY-2026-01 删除附件 1"))
    # Not the issuer's kind of person: the role it needs, as for every notice command.
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, "/修改通知 HY-2026-01 内容 x"))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHAO, "/撤回 HY-2026-01"))
    assert "用法：/撤回" in h.texts(await h.say(LI, "/撤回"))
    await h.say(LI, "/notice 第二条通知")
    said = h.texts(await h.say(LI, "/修改通知 TZ-2026-01 地点 二楼"))
    assert "是通知，不是会议" in said


async def test_a_place_change_tells_whoever_answered(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    await h.press(ZHANG, card, "收到")
    out = await h.say(LI, "/修改通知 HY-2026-01 地点 管委会二楼会议室")
    assert "地点已改为 管委会二楼会议室；已通知 1 位已回执的人员" in h.texts(out)
    told = private_to(h, "zhang", out)
    assert told and "地点改为 管委会二楼会议室，时间不变（2026-12-05（周六）09:00）" in h.texts(told)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["地点"] == "管委会二楼会议室" and fields["回执"] == "已回执 1/2"
    assert "李干部把地点改为 管委会二楼会议室" in fields["更正记录"]
    out = await h.say(LI, "/修改通知 HY-2026-01 时间 12月6日 14:30")
    assert "已改到 2026-12-06（周日）14:30" in h.texts(out) and private_to(h, "zhang", out)


async def test_a_withdrawn_notice_closes_its_card_and_is_counted_nowhere(
    harness: Harness, clock: ManualClock
) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, "/notice 关于报送值班表的通知。请于12月10日前报送。"))
    await h.press(CHEN, card, "收到")
    assert card.card is not None
    stale = next(b.data for row in card.card.actions for b in row if b.label == "收到")
    # The issuer withdraws it by replying to its card: the card says so, without buttons, everywhere.
    out = await h.say(LI, "/撤回 发错了，已重新发布", reply_to=card.message_id)
    assert "已撤回通知 TZ-2026-01（关于报送值班表的通知）" in h.texts(out)
    now = group_card(h).card
    assert now is not None and now.status is not None and now.status.text == "已撤回" and not now.actions
    assert "李干部撤回了这条通知（发错了，已重新发布）" in labels(now)["更正记录"]
    # Whoever answered (and their lead) hears of it; the lead 张伟 has a private chat.
    told = private_to(h, "zhang", out)
    assert told and "TZ-2026-01（关于报送值班表的通知）已由李干部撤回" in h.texts(told)
    # The buttons people still hold, /confirm, /receipts, /remind: all say it was withdrawn.
    outcome = await h.press(ZHANG, card, data=stale)
    assert outcome.toast == "TZ-2026-01 已撤回，不再收集回执。"
    assert "已撤回，不再收集回执" in h.texts(await h.say(ZHANG, "/confirm TZ-2026-01"))
    assert "已撤回" in h.texts(await h.say(LI, "/receipts TZ-2026-01", Harness.private(LI)))
    assert "已撤回" in h.texts(await h.say(LI, "/remind TZ-2026-01", Harness.private(LI)))
    assert "已经撤回过了" in h.texts(await h.say(MA, "/撤回 TZ-2026-01"))
    assert "TZ-2026-01 已撤回，不能再修改" in h.texts(await h.say(LI, "/修改通知 TZ-2026-01 内容 x"))
    # No reminder for it, ever.
    assert await run_reminders(h.app, clock.now() + timedelta(hours=25)) == 0
    # The notice issued again instead is the one the year counts: once, not twice.
    await h.say(LI, "/notice 关于报送值班表的通知。请于12月12日前报送。")
    summary = h.texts(await h.say(LI, "/summary 2026", Harness.private(LI)))
    assert "发布通知 1 份" in summary
    week = h.texts(await h.say(LI, "/week 本周", Harness.private(LI)))
    assert "发布通知 1 份" in week


async def test_a_withdrawn_meeting_is_not_counted_as_held(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    await h.press(ZHANG, card, "收到")
    out = await h.say(MA, "/notice_withdraw HY-2026-01")  # another manager may withdraw it too
    assert "已撤回会议通知 HY-2026-01" in h.texts(out)
    assert "会议按此通知不再举行" in h.texts(private_to(h, "zhang", out))
    clock.set(clock.now() + timedelta(days=10))
    summary = h.texts(await h.say(LI, "/summary 2026", Harness.private(LI)))
    assert "召开安全生产例会 0 次" in summary and "已安排" not in summary
    assert "已撤回" in h.texts(await h.say(LI, "/attendance HY-2026-01 全部"))
    assert "已撤回" in h.texts(await h.say(LI, "/meeting_cancel HY-2026-01 不开了"))


async def test_a_cancelled_meeting_withdrawn_tells_nobody_twice(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    await h.press(ZHANG, card, "收到")
    out = await h.say(LI, "/meeting_cancel HY-2026-01 与上级检查冲突")
    assert private_to(h, "zhang", out)
    out = await h.say(LI, "/撤回 HY-2026-01 本不该发")
    assert "已撤回会议通知 HY-2026-01" in h.texts(out) and not private_to(h, "zhang", out)
    assert group_card(h).card.status.text == "已撤回"  # type: ignore[union-attr]


async def test_the_cards_picture_stays_other_photos_come_and_go(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, "/notice 现场照片通知", files=(h.add_file(jpeg(1)),))
    first = card_of(out).card
    assert first is not None and first.photos
    out = await h.say(LI, "/修改通知 TZ-2026-01", files=(h.add_file(jpeg(2)),))
    assert "照片 1 张" in h.texts(out)
    now = group_card(h).card
    assert now is not None and now.photos == first.photos  # the card keeps the picture it went out with
    assert labels(now)["附件"] == "照片 2 张"
    said = h.texts(await h.say(LI, "/修改通知 TZ-2026-01 删除附件 1"))
    assert "卡片上的图片随卡片一起发出，不能单独删除" in said and "/撤回 TZ-2026-01" in said
    assert "已从 TZ-2026-01 删除附件 照片 1 张" in h.texts(await h.say(LI, "/修改通知 TZ-2026-01 删除附件 2"))
    assert labels(group_card(h).card)["附件"] == "照片 1 张"  # type: ignore[arg-type]


async def test_a_private_copy_of_the_card_is_corrected_too(harness: Harness) -> None:
    h = harness
    await seed(h)
    async with h.app.db.unit_of_work() as s:
        for chat in await s.scalars(select(Chat)):
            chat.is_park_group = False  # no park group yet: the issuer gets the card privately
    out = await h.say(LI, "/notice 关于报送值班表的通知。请于12月10日前报送。", Harness.private(LI))
    private = next(s for s in out if s.card is not None and s.chat == Harness.private(LI))
    await h.say(LI, "/修改通知 TZ-2026-01 内容 请于12月12日前报送。", Harness.private(LI))
    assert private.edits == 1 and labels(private.card)["内容"] == "请于12月12日前报送。"  # type: ignore[arg-type]
    await h.say(LI, "/撤回 TZ-2026-01", Harness.private(LI))
    assert (
        private.card is not None and private.card.status is not None and private.card.status.text == "已撤回"
    )


async def test_the_correction_menu_has_buttons_checked_like_the_commands(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = card_of(
        await h.say(
            LI, "/notice 关于报送值班表的通知。", files=(pdf(h, "值班表.pdf"), pdf(h, "模板.pdf", b"2"))
        )
    )
    await h.press(ZHANG, card, "收到")
    menu = next(s for s in await h.say(LI, "/修改通知 TZ-2026-01") if s.reply.buttons)
    assert [b.label for row in menu.reply.buttons for b in row] == [
        "删除附件 1",
        "删除附件 2",
        "撤回这条通知",
    ]
    # Somebody who may not correct notices: refused by the role table, whatever the data says.
    stale = next(b.data for row in menu.reply.buttons for b in row if b.label == "删除附件 2")
    outcome = await h.press(ZHANG, menu, data=stale)
    assert "这个操作需要以下身份之一" in (outcome.toast or "")
    outcome = await h.press(LI, menu, "删除附件 2")
    assert outcome.toast == "已从 TZ-2026-01 删除附件 《模板.pdf》"
    assert labels(group_card(h).card)["附件"] == "《值班表.pdf》"  # type: ignore[arg-type]
    outcome = await h.press(LI, menu, data=stale)  # pressed again: the file is gone already
    assert outcome.toast == "这个附件已经不在 TZ-2026-01 上了。"
    # 撤回 asks once more, then withdraws; whoever answered is told.
    before = len(h.adapter.sent)
    outcome = await h.press(LI, menu, "撤回这条通知")
    assert outcome.toast == "请再点一次“确认撤回”"
    assert group_card(h).card.status.text == "收集回执中"  # type: ignore[union-attr]
    confirm = next(s for s in h.adapter.sent[before:] if s.reply.buttons)
    assert "确定撤回通知 TZ-2026-01" in (confirm.reply.text or "")
    before = len(h.adapter.sent)
    outcome = await h.press(MA, confirm, "确认撤回 TZ-2026-01")
    assert outcome.toast == "已撤回 TZ-2026-01"
    assert group_card(h).card.status.text == "已撤回"  # type: ignore[union-attr]
    assert private_to(h, "zhang", h.adapter.sent[before:])
    outcome = await h.press(LI, confirm, "确认撤回 TZ-2026-01")
    assert outcome.toast == "TZ-2026-01 已经撤回过了。"
