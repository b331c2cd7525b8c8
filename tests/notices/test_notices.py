"""Meeting notices and notices with receipts (会议通知 / 通知, 回执) through the neutral core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import FileRef
from domain.notices import queries as notice_queries
from handlers.notices.card import ReceiptButton
from storage.models import AuditEntry, Notice, NoticeEvent, NoticeReceipt
from tests.harness import (
    CHEN,
    GROUP,
    LI,
    LIU,
    XIAO,
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


def group_card(h: Harness, key_prefix: str = "notice:") -> Sent:
    """Return the notice card the bot posted in the park group (its current state)."""
    return next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key.startswith(key_prefix))


def private_to(h: Harness, user_id: str, sent: list[Sent]) -> list[Sent]:
    """Return the messages among `sent` that went to one person's private chat."""
    return [s for s in sent if s.chat.chat_id == f"p-{user_id}"]


async def test_meeting_notice_card_counts_receipts_per_enterprise(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, MEETING)
    card = card_of(out)
    assert card.chat == GROUP and card.card is not None
    fields = labels(card.card)
    assert card.card.title == "会议通知 HY-2026-01"
    assert fields["时间"] == "2026-12-05（周六）09:00" and fields["地点"] == "管委会三楼会议室"
    assert fields["主题"] == "12月安全生产例会" and fields["议程"] == "通报11月隐患整改情况"
    assert fields["回执"] == "已回执 0/2" and fields["请假"] == "0 家"
    assert [b.label for row in card.card.actions for b in row] == ["收到", "请假"]
    assert [b.command for row in card.card.actions for b in row] == [
        "/confirm HY-2026-01",
        "/leave HY-2026-01 <原因>",
    ]
    assert len(out) == 1, "in the park group the card alone is the answer"

    outcome = await h.press(ZHANG, card, "收到")
    assert outcome.toast == "已为华油装备制造有限公司回执 HY-2026-01：收到。"
    assert labels(group_card(h).card)["回执"] == "已回执 1/2"  # type: ignore[arg-type]
    edits = group_card(h).edits
    # Pressing again, or a colleague of the same enterprise pressing, changes nothing.
    outcome = await h.press(ZHANG, card, "收到")
    assert "已经回执过 HY-2026-01（收到）" in (outcome.toast or "")
    outcome = await h.press(CHEN, card, "收到")
    assert "华油装备制造有限公司已经回执过" in (outcome.toast or "")
    # Somebody with no enterprise (no role, or the inspector) gets a private hint; the count stays.
    outcome = await h.press(XIAO, card, "收到")
    assert "还没有绑定企业" in (outcome.toast or "")
    outcome = await h.press(ZHAO, card, "收到")
    assert "还没有绑定企业" in (outcome.toast or "")
    outcome = await h.press(LI, card, "收到")
    assert "/receipts HY-2026-01" in (outcome.toast or "")
    assert group_card(h).edits == edits
    assert labels(group_card(h).card)["回执"] == "已回执 1/2"  # type: ignore[arg-type]

    # 请假: the reason is asked privately (刘芳 has a private chat), then the card counts it.
    before = len(h.adapter.sent)
    outcome = await h.press(LIU, card, "请假")
    assert outcome.toast == "请在私聊中回复请假原因"
    asked = private_to(h, "liu", h.adapter.sent[before:])
    assert asked and "请回复请假原因" in (asked[0].reply.text or "")
    assert labels(group_card(h).card)["回执"] == "已回执 1/2"  # type: ignore[arg-type]
    out = await h.say(LIU, "出差在外 代参会：王五", Harness.private(LIU))
    assert "已为宏达机械有限公司登记 HY-2026-01 请假：出差在外，代参会：王五。" in h.texts(out)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["回执"] == "已回执 2/2" and fields["请假"] == "1 家"

    async with h.app.db.reading() as s:
        rows = {r.enterprise.name: r for r in await notice_queries.receipts(s, 1)}
        assert rows["宏达机械有限公司"].reason == "出差在外" and rows["宏达机械有限公司"].substitute == "王五"
        actions = (await s.scalars(select(NoticeEvent.action).order_by(NoticeEvent.id))).all()
        assert actions == ["issue", "confirm", "leave"]
        assert (await s.scalar(select(AuditEntry).where(AuditEntry.action == "notice.leave"))) is not None


async def test_command_twins_and_replies_work_without_buttons(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    out = await h.say(ZHANG, "/confirm hy-2026-1")
    assert "已为华油装备制造有限公司回执 HY-2026-01：收到" in h.texts(out)
    out = await h.say(LIU, "/leave HY-2026-01")  # no reason: the bot asks for it, as a reply
    assert "请回复请假原因" in h.texts(out)
    out = await h.say(LIU, "家中有事", reply_to=out[0].message_id)
    assert "登记 HY-2026-01 请假：家中有事" in h.texts(out)
    assert labels(group_card(h).card)["请假"] == "1 家"  # type: ignore[arg-type]
    # 收到 typed as a reply under the card counts too (people write it anyway).
    out = await h.say(CHEN, "收到", reply_to=card.message_id)
    assert "已经回执过" in h.texts(out)
    out = await h.say(ZHANG, "/confirm HY-2026-09")
    assert "没有找到编号为 HY-2026-09 的通知" in h.texts(out)
    out = await h.say(XIAO, "/confirm")
    assert "这个操作需要以下身份之一" in h.texts(out)


async def test_wrong_meeting_input_gets_a_clear_answer(harness: Harness) -> None:
    h = harness
    await seed(h)
    assert "用法：/meeting" in h.texts(await h.say(LI, "/meeting"))
    assert "没有读到会议时间" in h.texts(await h.say(LI, "/meeting 明天 会议室 例会"))
    assert "已经过去了" in h.texts(await h.say(LI, "/meeting 2026-11-01 09:00 会议室 例会"))
    assert "没有读懂会议日期" in h.texts(await h.say(LI, "/meeting 某天 09:00 会议室 例会"))
    assert "没有读懂会议时间" in h.texts(await h.say(LI, "/meeting 12月5日 25:00 会议室 例会"))
    assert "用法：/meeting" in h.texts(await h.say(LI, "/meeting 12月5日 9点 会议室"))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, MEETING))
    out = await h.say(LI, "/meeting 明天 下午3点半 二楼会议室 消防培训")
    fields = labels(card_of(out).card)  # type: ignore[arg-type]
    assert fields["时间"] == "2026-12-01（周二）15:30"


async def test_receipts_are_listed_privately_with_a_remind_button(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    await h.press(ZHANG, card, "收到")
    out = await h.say(LI, "/receipts")
    group_texts = [s.reply.text or "" for s in out if s.chat == GROUP]
    assert group_texts == ["李干部，名单已私聊发给您（群里不公布未回执或未完成的企业）。"]
    private = private_to(h, "li", out)
    assert len(private) == 1
    text = private[0].reply.text or ""
    assert "已回执 1/2" in text and "未回执（1 家）" in text and "宏达机械有限公司" in text
    assert "华油" not in text.split("未回执")[1]
    before = len(h.adapter.sent)
    outcome = await h.press(LI, private[0], "立即提醒未回执企业")
    assert outcome.toast == "已提醒 1 家未回执的企业（私聊其安全负责人）。"
    reminded = h.adapter.sent[before:]
    assert [s.chat.chat_id for s in reminded] == ["p-liu"]
    assert "宏达机械有限公司还没有回执会议通知 HY-2026-01" in (reminded[0].reply.text or "")
    # The reminder carries the buttons: 刘芳 answers from her private chat, the group card follows.
    outcome = await h.press(LIU, reminded[0], "收到")
    assert outcome.toast == "已为宏达机械有限公司回执 HY-2026-01：收到。"
    assert labels(group_card(h).card)["回执"] == "已回执 2/2"  # type: ignore[arg-type]
    outcome = await h.press(LI, private[0], "立即提醒未回执企业")
    assert outcome.toast == "没有需要提醒的企业：都已回执。"


async def test_reminders_follow_the_schedule_quiet_hours_and_the_daily_cap(
    harness: Harness, clock: ManualClock
) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma", "liu"))  # 张伟 never opened a private chat
    card = card_of(await h.say(LI, "/meeting 2026-12-03 15:00 管委会三楼会议室 消防专题会"))
    app = h.app

    # Not yet due: the meeting is on Thursday; Tuesday says nothing.
    assert await h.remind(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == []
    # The day before, at 23:30 park time: quiet hours.
    assert await h.remind(datetime(2026, 12, 1, 15, 30, tzinfo=UTC)) == []
    # Wednesday 09:00: both enterprises are reminded; 刘芳 privately, 张伟 (no private chat) once in the group.
    sent = await h.remind(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    assert sorted(s.chat.chat_id for s in sent) == ["group", "p-liu"]
    group_note = next(s for s in sent if s.chat == GROUP).reply.text or ""
    # The person and the notice code only: the group never learns which enterprise is late.
    assert (
        group_note.startswith("张伟，请回执 HY-2026-01：")
        and "华油" not in group_note
        and "宏达" not in group_note
    )
    # Wednesday afternoon: not twice a day.
    assert await h.remind(datetime(2026, 12, 2, 7, 0, tzinfo=UTC)) == []
    await h.press(LIU, card, "收到")
    # Thursday 14:10, within the hour before: only 华油, which has not answered, and the group is not told again.
    sent = await h.remind(datetime(2026, 12, 3, 6, 10, tzinfo=UTC))
    assert sent == []  # 张伟 cannot be written to privately, and was named in the group once already
    # Once the meeting starts its card closes: no buttons, 回执已截止 (one edit).
    await h.remind(datetime(2026, 12, 3, 7, 5, tzinfo=UTC))
    assert card.card.actions == () and card.card.status.text == "会议已开始，回执已截止"  # type: ignore[union-attr]
    async with app.db.reading() as s:
        rows = (await s.execute(select(NoticeReceipt.enterprise_id, NoticeReceipt.status))).all()
        assert sorted(str(r.status) for r in rows) == ["confirmed", "pending"]


async def test_cancel_and_move_tell_those_who_confirmed(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    stale = ReceiptButton(1, "ok").pack()  # a press on an old copy of the card
    await h.press(ZHANG, card, "收到")
    out = await h.say(LI, "/meeting_move HY-2026-01 12月6日 14:30 管委会二楼会议室")
    assert "已改到 2026-12-06（周日）14:30，地点 管委会二楼会议室；已通知 1 位已回执的人员" in h.texts(out)
    told = private_to(h, "zhang", out)
    assert len(told) == 1 and "改期为 2026-12-06（周日）14:30，地点 管委会二楼会议室" in (
        told[0].reply.text or ""
    )
    assert private_to(h, "liu", out) == []  # 宏达 had not confirmed
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["时间"] == "2026-12-06（周日）14:30" and fields["地点"] == "管委会二楼会议室"
    out = await h.say(LI, "/meeting_cancel HY-2026-01 与上级检查冲突")
    assert "已取消，已通知 1 位已回执的人员" in h.texts(out)
    assert "原因：与上级检查冲突" in h.texts(private_to(h, "zhang", out))
    assert group_card(h).card.status.text == "已取消"  # type: ignore[union-attr]
    assert group_card(h).card.actions == ()  # type: ignore[union-attr]
    outcome = await h.press(LIU, card, data=stale)
    assert "已取消，不需要回执" in (outcome.toast or "")
    assert "已经取消过了" in h.texts(await h.say(LI, "/meeting_cancel HY-2026-01"))


async def test_attendance_after_the_meeting(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    card = card_of(await h.say(LI, MEETING))
    await h.press(ZHANG, card, "收到")
    assert "还没有开始" in h.texts(await h.say(LI, "/attendance HY-2026-01 全部"))
    clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=UTC))
    out = await h.say(LI, "/attendance HY-2026-01 全部")
    assert "已记录出席：1/2 家企业" in h.texts(out)
    assert labels(group_card(h).card)["出席"] == "1/2 家"  # type: ignore[arg-type]
    picker = card_of(private_to(h, "li", await h.say(LI, "/attendance HY-2026-01")))
    outcome = await h.press(LI, picker, "⬜ 宏达")
    assert outcome.toast == "HY-2026-01 已记录出席：2/2 家企业。"
    assert any(b.label == "✅ 宏达" for row in picker.card.actions for b in row)  # type: ignore[union-attr]
    async with h.app.db.reading() as s:
        stats = await notice_queries.stats(
            s, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        )
    assert (stats.meetings_held, stats.receipts_due, stats.receipts_answered) == (1, 2, 1)
    assert stats.receipt_rate == 0.5 and stats.attendance_rate == 1.0


async def test_notice_with_a_work_plan_file(harness: Harness) -> None:
    h = harness
    await seed(h)
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    docx = buf.getvalue()
    h.adapter.files["plan"] = docx
    ref = FileRef(
        "plan",
        "document",
        len(docx),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "冬季消防检查方案.docx",
    )
    out = await h.say(
        LI, "/notice 关于开展冬季消防安全检查的通知。请各企业于12月10日前完成自查。", files=(ref,)
    )
    card = card_of(out)
    fields = labels(card.card)  # type: ignore[arg-type]
    assert card.card.title == "通知 TZ-2026-01"  # type: ignore[union-attr]
    assert (
        fields["主题"] == "关于开展冬季消防安全检查的通知" and "《冬季消防检查方案.docx》" in fields["附件"]
    )
    assert card.reply.document_names == ("冬季消防检查方案.docx",)
    assert card.reply.documents[0].read_bytes() == docx and card.reply.documents[0].suffix == ".docx"
    async with h.app.db.reading() as s:
        notice = await s.scalar(select(Notice))
        assert notice is not None and notice.kind == "notice"
    # A ZIP that is not an office document is refused, with the reason.
    h.adapter.files["zip"] = b"PK\x03\x04 not really"
    ref = FileRef("zip", "document", 16, "application/zip", "x.docx")
    out = await h.say(LI, "/notice 另一条通知", files=(ref,))
    assert "有文件没有保存" in h.texts(out)
    photo = h.add_file(jpeg(3))
    out = await h.say(LI, "/notice 现场照片通知", files=(photo,))
    assert card_of(out).card.photos  # type: ignore[union-attr]


async def test_notice_reminders_wait_for_the_delay(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/notice 请各企业报送值班表")
    app = h.app
    assert await run_reminders(app, clock.now() + timedelta(hours=2)) == 0
    assert await run_reminders(app, clock.now() + timedelta(hours=25)) == 2
    assert await run_reminders(app, clock.now() + timedelta(hours=26)) == 0
    assert await run_reminders(app, clock.now() + timedelta(days=2, hours=1)) == 2
    assert await run_reminders(app, clock.now() + timedelta(days=5)) == 0


async def test_replies_under_the_card_get_a_private_hint_and_leave_works_as_a_reply(harness: Harness) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma", "zhang", "liu", "xiao"))
    card = card_of(await h.say(LI, MEETING))
    # Somebody with no enterprise writes 收到 under the card in the group: a short hint, privately only.
    out = await h.say(XIAO, "收到", reply_to=card.message_id)
    assert [s.chat.chat_id for s in out] == ["p-xiao"]
    assert "还没有绑定企业" in (out[0].reply.text or "")
    # Other chatter under the card: how to answer, privately.
    out = await h.say(ZHANG, "好的，知道了", reply_to=card.message_id)
    assert [s.chat.chat_id for s in out] == ["p-zhang"]
    assert "请假 出差在外 代参会：王五" in (out[0].reply.text or "")
    assert labels(group_card(h).card)["回执"] == "已回执 0/2"  # type: ignore[arg-type]
    # 请假 with a reason, as a reply, is /leave for the meeting.
    out = await h.say(LIU, "请假 出差在外 代参会：王五", reply_to=card.message_id)
    assert "已为宏达机械有限公司登记 HY-2026-01 请假：出差在外，代参会：王五。" in h.texts(out)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["回执"] == "已回执 1/2" and fields["请假"] == "1 家"
    # 请假 without a reason: the bot asks for it, and the answer is recorded.
    out = await h.say(ZHANG, "请假", reply_to=card.message_id)
    assert "请回复请假原因" in h.texts(out)
    out = await h.say(ZHANG, "设备检修", reply_to=out[0].message_id)
    assert "登记 HY-2026-01 请假：设备检修" in h.texts(out)
    assert labels(group_card(h).card)["请假"] == "2 家"  # type: ignore[arg-type]
    # Without a private chat the hint falls back to a reply where the person wrote.
    out = await h.say(ZHAO, "收到", reply_to=card.message_id)
    assert [s.chat for s in out] == [GROUP] and "还没有绑定企业" in (out[0].reply.text or "")
    async with h.app.db.reading() as s:
        rows = {r.enterprise.name: r for r in await notice_queries.receipts(s, 1)}
        assert (
            rows["宏达机械有限公司"].substitute == "王五"
            and rows["华油装备制造有限公司"].reason == "设备检修"
        )


async def test_a_member_may_not_overwrite_the_answer_someone_else_gave(harness: Harness) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma", "zhang", "liu", "chen"))
    card = card_of(await h.say(LI, MEETING))
    await h.press(ZHANG, card, "收到")
    # 陈明 (member of 华油) cannot turn the lead's 收到 into 请假: refused before the reason is asked.
    before = len(h.adapter.sent)
    outcome = await h.press(CHEN, card, "请假")
    assert outcome.toast == "华油装备制造有限公司已由张伟回执（收到）；如需更改请联系本企业安全负责人。"
    assert private_to(h, "chen", h.adapter.sent[before:]) == []
    out = await h.say(CHEN, "/leave HY-2026-01 出差")
    assert "已由张伟回执（收到）" in h.texts(out)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["回执"] == "已回执 1/2" and fields["请假"] == "0 家"
    # The lead may change his own answer; the card counts follow.
    out = await h.say(ZHANG, "/leave HY-2026-01 临时出差 代参会：陈明")
    assert "已为华油装备制造有限公司登记 HY-2026-01 请假：临时出差，代参会：陈明。" in h.texts(out)
    fields = labels(group_card(h).card)  # type: ignore[arg-type]
    assert fields["回执"] == "已回执 1/2" and fields["请假"] == "1 家"
    outcome = await h.press(CHEN, card, "收到")
    assert outcome.toast == "华油装备制造有限公司已由张伟回执（请假）；如需更改请联系本企业安全负责人。"
    outcome = await h.press(ZHANG, card, "收到")
    assert outcome.toast == "已为华油装备制造有限公司回执 HY-2026-01：收到。"
    assert labels(group_card(h).card)["请假"] == "0 家"  # type: ignore[arg-type]

    # The reverse: the member answered first; the member may change it, and so may the lead.
    card = card_of(await h.say(LI, "/meeting 2026-12-08 09:00 管委会三楼会议室 消防专题会"))
    outcome = await h.press(CHEN, card, "收到")
    assert outcome.toast == "已为华油装备制造有限公司回执 HY-2026-02：收到。"
    out = await h.say(CHEN, "/leave HY-2026-02 车间停产检修")
    assert "登记 HY-2026-02 请假：车间停产检修" in h.texts(out)
    out = await h.say(ZHANG, "/confirm HY-2026-02")
    assert "已为华油装备制造有限公司回执 HY-2026-02：收到" in h.texts(out)
    out = await h.say(CHEN, "/leave HY-2026-02 车间停产检修")
    assert "已由张伟回执（收到）" in h.texts(out)
    async with h.app.db.reading() as s:
        receipt = (await notice_queries.receipts(s, 2))[0]
        assert receipt.enterprise.name == "华油装备制造有限公司" and str(receipt.status) == "confirmed"
        assert receipt.person is not None and receipt.person.display_name == "张伟" and receipt.reason is None
        actions = (
            await s.scalars(
                select(NoticeEvent.action).where(NoticeEvent.notice_id == 2).order_by(NoticeEvent.id)
            )
        ).all()
        assert actions == ["issue", "confirm", "leave", "confirm"]


async def test_a_plain_notice_is_answered_with_shou_dao_only(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, "/notice 请各企业报送值班表。12月10日前报送。")
    card = card_of(out)
    fields = labels(card.card)  # type: ignore[arg-type]
    assert "请假" not in fields and fields["回执方式"] == "各企业安全负责人或员工点“收到”即为本企业回执。"
    assert [(b.label, b.command) for row in card.card.actions for b in row] == [
        ("收到", "/confirm TZ-2026-01")
    ]  # type: ignore[union-attr]
    out = await h.say(ZHANG, "/leave TZ-2026-01 出差")
    assert "TZ-2026-01 是通知，不是会议，只需回执“收到”，不需要请假" in h.texts(out)
    outcome = await h.press(ZHANG, card, data=ReceiptButton(1, "leave").pack())  # a forged or stale 请假
    assert "只需回执“收到”" in (outcome.toast or "")
    out = await h.say(ZHANG, "请假 出差", reply_to=card.message_id)
    assert "只需回执“收到”" in h.texts(out)
    out = await h.say(ZHANG, "/confirm TZ-2026-01")
    assert "已为华油装备制造有限公司回执 TZ-2026-01：收到" in h.texts(out)
    private = private_to(h, "li", await h.say(LI, "/receipts TZ-2026-01"))
    assert "TZ-2026-01（请各企业报送值班表）：已回执 1/2\n" in (private[0].reply.text or "")
    async with h.app.db.reading() as s:
        assert [str(r.status) for r in await notice_queries.receipts(s, 1)] == ["confirmed", "pending"]


async def test_group_reminder_names_the_person_not_the_enterprise_once_per_enterprise(
    harness: Harness, clock: ManualClock
) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma"))  # neither lead opened a private chat
    await h.say(LI, "/notice 请各企业报送值班表")
    start = clock.now()
    sent = await h.remind(start + timedelta(hours=25))
    texts = sorted(s.reply.text or "" for s in sent)
    assert [s.chat for s in sent] == [GROUP, GROUP]
    assert texts == [
        "刘芳，请回执 TZ-2026-01：点通知卡片上的“收到”。私聊我发送 /start 后，提醒会私下发给您。",
        "张伟，请回执 TZ-2026-01：点通知卡片上的“收到”。私聊我发送 /start 后，提醒会私下发给您。",
    ]
    # The next day's reminder is due again, but each enterprise is named in the group once per notice.
    assert await h.remind(start + timedelta(days=2, hours=1)) == []


async def test_files_line_lists_documents_and_counts_photos(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, "/notice 现场照片通知", files=(h.add_file(jpeg(3)),))
    assert labels(card_of(out).card)["附件"] == "照片 1 张"  # type: ignore[arg-type]
    h.adapter.files["pdf"] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    ref = FileRef("pdf", "document", 40, "application/pdf", "值班表.pdf")
    out = await h.say(LI, "/notice 值班表通知", files=(ref, h.add_file(jpeg(4)), h.add_file(jpeg(5))))
    assert labels(card_of(out).card)["附件"] == "《值班表.pdf》；照片 2 张"  # type: ignore[arg-type]


async def test_wrong_codes_and_usages_are_answered_clearly(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, MEETING)
    out = await h.say(LI, "/receipts abc", Harness.private(LI))
    text = h.texts(out)
    assert "没有找到通知“abc”" in text and "用法：/receipts" in text and "已回执" not in text
    assert "用法：/receipts" in h.texts(await h.say(LI, "/receipts HY-2026-09", Harness.private(LI)))
    assert "没有找到通知“abc”" in h.texts(await h.say(LI, "/remind abc", Harness.private(LI)))
    out = await h.say(LI, "/meeting_move HY-2026-01 昨天 09:00")
    text = h.texts(out)
    assert (
        "没有读懂会议日期“昨天”" in text and "用法：/meeting_move" in text and "用法：/meeting " not in text
    )
    out = await h.say(LI, "/meeting_move HY-2026-01 会议室")
    assert "用法：/meeting_move" in h.texts(out) and "用法：/meeting " not in h.texts(out)


async def test_a_move_or_cancel_also_reaches_those_on_leave_and_receipts_list_only_open_collections(
    harness: Harness,
) -> None:
    h = harness
    await seed(h)
    await h.say(LI, MEETING)
    await h.say(LIU, "/leave HY-2026-01 出差在外 代参会：王五")  # 宏达 answered 请假
    out = await h.say(LI, "/meeting_move HY-2026-01 12月6日 14:30 管委会二楼会议室")
    told = private_to(h, "liu", out)
    assert len(told) == 1 and "改期为 2026-12-06（周日）14:30" in (
        told[0].reply.text or ""
    )  # the stand-in must know
    out = await h.say(LI, "/meeting_cancel HY-2026-01 与上级检查冲突")
    assert "原因：与上级检查冲突" in h.texts(private_to(h, "liu", out))

    # A second meeting begins: its receipts close, and /receipts no longer lists it as collecting.
    await h.say(LI, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月第二次例会")
    await h.say(LI, "/notice 关于冬季消防检查的通知。请各企业自查。")
    h.clock.set(h.clock.now() + timedelta(days=30))
    text = h.texts(await h.say(LI, "/receipts TZ-2026-01"))
    assert "HY-2026-02" not in text


async def test_remind_never_claims_to_reach_an_enterprise_with_nobody_registered(harness: Harness) -> None:
    from tests.harness import ADMIN

    h = harness
    await seed(h)
    await h.say(ADMIN, "/enterprise_add 新兴食品有限公司 新兴")  # nobody of it has joined the bot yet
    await h.say(LI, MEETING)
    out = await h.say(LI, "/remind HY-2026-01", Harness.private(LI))
    said = h.texts(out)
    assert "已提醒 2 家" in said and "另有 1 家企业没有任何人员在本群登记，无法提醒" in said
    await h.say(ZHANG, "/confirm HY-2026-01")
    await h.say(LIU, "/confirm HY-2026-01")
    h.clock.set(h.clock.now() + timedelta(days=1))  # another day: the cap does not hide anything
    said = h.texts(await h.say(LI, "/remind HY-2026-01", Harness.private(LI)))
    assert "已提醒" not in said and "都没有人员在本群登记" in said
    listed = h.texts(await h.say(LI, "/receipts HY-2026-01", Harness.private(LI)))
    assert "新兴食品有限公司（无人员登记，无法提醒）" in listed


async def test_confirm_with_words_picks_the_notice_they_name_or_asks(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/notice 关于开展冬季消防安全检查的通知。请各企业自查。")
    await h.say(LI, "/notice 补发附件：冬季消防检查表")  # newer, also says 冬季消防
    await h.say(LI, "/notice 关于元旦假期值班安排的通知")
    out = await h.say(ZHANG, "/confirm 元旦")  # one match: that one, not the newest
    assert "TZ-2026-03" in h.texts(out)
    out = await h.say(ZHANG, "/confirm 冬季消防")  # two match: asked, with a 收到 button each
    ask = next(s for s in out if s.reply.buttons)
    assert "对应多份通知" in (ask.reply.text or "")
    assert [row[0].command for row in ask.reply.buttons] == ["/confirm TZ-2026-02", "/confirm TZ-2026-01"]
    await h.press(ZHANG, ask, ask.reply.buttons[1][0].label)
    async with h.app.db.reading() as s:
        answered = {n.code: str(r.status) for r, n in (await s.execute(
            select(NoticeReceipt, Notice).join(Notice, Notice.id == NoticeReceipt.notice_id)
            .where(NoticeReceipt.status != "pending")
        )).all()}  # fmt: skip
    assert answered == {"TZ-2026-03": "confirmed", "TZ-2026-01": "confirmed"}
    out = await h.say(ZHANG, "/confirm 防汛")  # nothing matches: the open ones are offered
    assert "没有找到与“防汛”相符的通知" in h.texts(out)


async def test_a_typed_confirm_in_the_group_is_answered_privately(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, MEETING)
    out = await h.say(LIU, "/confirm HY-2026-01")  # 刘芳 has a private chat with the bot
    in_group = [s for s in out if s.chat == GROUP and s.card is None and not s.edits]
    assert in_group == []  # the group sees only its card's count change
    assert "已为宏达机械有限公司回执 HY-2026-01：收到。" in h.texts(private_to(h, "liu", out))
