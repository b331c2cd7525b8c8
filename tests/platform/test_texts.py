"""Texts as people read them: each names who and why, and promises only what the bot does."""

from __future__ import annotations

from handlers import texts as T
from tests.harness import ADMIN, CHEN, GROUP, LI, LIU, XIAO, ZHANG, ZHAO, Harness, Sent, card_of, jpeg, seed

HUAYOU = "华油装备制造有限公司"
HONGDA = "宏达机械有限公司"


async def reported(h: Harness, who: object = ZHANG, text: str = "配电箱门未关闭") -> Sent:
    """Report a hazard with one photo in the group; return its group card."""
    return card_of(await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(1)),)))  # type: ignore[arg-type]


async def test_a_second_approval_names_who_decided(seeded: Harness) -> None:
    h = seeded
    out = await h.say(XIAO, "/join 华油 负责人")
    cards = [s for s in out if s.card is not None]
    admin_card = next(s for s in cards if s.chat == h.private(ADMIN))
    lead_card = next(s for s in cards if s.chat == h.private(ZHANG))
    assert lead_card.card is not None
    stale = next(b.data for row in lead_card.card.actions for b in row if b.label == "批准")
    first = await h.press(ADMIN, admin_card, "批准")
    assert first.toast == T.JOIN_DONE_TOAST.format(status="已批准（王主任）")
    again = await h.press(ZHANG, lead_card, data=stale)  # the lead's copy, pressed before it was updated
    assert again.toast == T.JOIN_ALREADY_DECIDED.format(status="已批准（王主任）")


async def test_a_join_decided_for_someone_without_a_private_chat_names_them_in_the_group(
    seeded: Harness,
) -> None:
    h = seeded
    out = await h.say(XIAO, "/join 华油")
    admin_card = next(s for s in out if s.card is not None and s.chat == h.private(ADMIN))
    before = len(h.adapter.sent)
    await h.press(ADMIN, admin_card, "拒绝")
    said = [s.reply.text or "" for s in h.adapter.sent[before:] if s.chat.chat_id == GROUP.chat_id]
    assert said == [T.JOIN_REJECTED_GROUP.format(name="小周", enterprise=HUAYOU, by="王主任")]


async def test_an_edit_refusal_says_the_real_reason(seeded: Harness) -> None:
    h = seeded
    own = await reported(h)
    outcome = await h.press(LIU, own, "3天内")  # another enterprise's hazard
    assert outcome.toast == T.HAZARD_EDIT_NOT_OWN.format(code="YH-2026-0001", enterprise=HUAYOU, own=HONGDA)
    assert "检查" not in (outcome.toast or "")

    found = await reported(h, ZHAO, "华油 冲床防护罩缺失")  # an inspector's find in the lead's enterprise
    outcome = await h.press(ZHANG, found, "3天内")
    assert outcome.toast is not None
    # No deadline was set yet, so /extend cannot help: the reporter or a manager sets it.
    assert "它由检查专家赵工发现并登记" in outcome.toast and "由上报人或管理人员设定" in outcome.toast
    assert "/extend" not in outcome.toast and HONGDA not in outcome.toast


async def test_someone_elses_draft_button_says_so(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHAO, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(1)),))
    picker = next(s for s in out if s.reply.buttons)
    outcome = await h.press(LI, picker, "华油")
    assert outcome.toast == T.HAZARD_DRAFT_NOT_YOURS
    await h.press(ZHAO, picker, "华油")  # the owner still files it
    assert "YH-2026-0001" in h.texts(await h.say(ZHAO, "/hazards"))
    outcome = await h.press(ZHAO, picker, "宏达")  # filed already: gone, and it is the owner's own button
    assert outcome.toast == T.HAZARD_DRAFT_GONE


async def test_a_lead_is_told_he_may_only_view_his_own_enterprise(seeded: Harness) -> None:
    h = seeded
    await reported(h)
    expected = T.HAZARD_VIEW_NOT_OWN.format(enterprise=HONGDA)
    assert h.texts(await h.say(LIU, "/hazard YH-2026-0001")) == expected
    assert h.texts(await h.say(LIU, "/hazards 华油")) == expected


async def test_a_rejection_says_who_was_told(seeded: Harness) -> None:
    h = seeded
    card = await reported(h, CHEN)
    await h.say(CHEN, "/fix 已加锁", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    out = await h.say(LI, "/reject YH-2026-0001 警示标识不清晰", h.private(LI))
    assert T.REJECT_DONE.format(code="YH-2026-0001", names="张伟") in h.texts(out)  # 陈明 has no private chat
    told = [s for s in out if s.chat == h.private(ZHANG)]
    assert told and "驳回原因：警示标识不清晰" in (told[0].reply.text or "")


async def test_a_rejection_nobody_can_read_privately_goes_to_the_group_and_says_so(harness: Harness) -> None:
    h = harness
    await seed(h, private=("admin", "li"))
    card = await reported(h, CHEN)
    await h.say(CHEN, "/fix 已加锁", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    out = await h.say(LI, "/reject YH-2026-0001 警示标识不清晰", h.private(LI))
    assert T.REJECT_DONE_GROUP.format(code="YH-2026-0001") in h.texts(out)
    assert any(s.chat == GROUP and "驳回原因" in (s.reply.text or "") for s in out)


async def test_help_in_the_group_is_short_and_in_private_lists_the_persons_commands(seeded: Harness) -> None:
    h = seeded
    for who in (XIAO, ZHANG, LI):
        text = h.texts(await h.say(who, "/help"))
        assert len(text.splitlines()) <= 6 and text.endswith("私聊我 /help 查看全部命令。")
    assert "/join" in h.texts(await h.say(XIAO, "/help"))
    assert "/week" in h.texts(await h.say(LI, "/help")) and "/week" not in h.texts(
        await h.say(ZHANG, "/help")
    )

    lead = h.texts(await h.say(ZHANG, "/help", h.private(ZHANG)))
    assert "/join" not in lead and "/fix" in lead and "/accept" not in lead
    assert "逾期|我的" in lead
    stranger = h.texts(await h.say(XIAO, "/help", h.private(XIAO)))
    assert "/join" in stranger and "/hazard " not in stranger
    manager = h.texts(await h.say(LI, "/help", h.private(LI)))
    assert T.HELP_VERIFY in manager and "/join" not in manager
    assert all(word in T.HELP_VERIFY for word in ("验收通过", "驳回", "/accept", "/reject", "/hazards"))


async def test_start_and_setgroup_promise_what_exists(seeded: Harness) -> None:
    h = seeded
    start = h.texts(await h.say(XIAO, "/start", h.private(XIAO)))
    assert "隐患" in start and "整改" in start and "/join" in start
    setgroup = h.texts(await h.say(ADMIN, "/setgroup"))
    assert "园区安全群" in setgroup
    for text in (
        start,
        T.SETGROUP_DONE,
    ):  # notices, receipts and campaigns exist now (issue #9); digests do not yet
        assert all(word in text for word in ("会议通知", "专项行动")) and "周报" not in text
