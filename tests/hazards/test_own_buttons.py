"""Buttons only for people who may use them (issue 18, item 15): a person's private copy of a hazard card
shows the buttons the hazard rules let them press (`domain.hazards.rules.may_do`, the check the press
meets), while the group's card keeps every button (each press is checked anyway)."""

from __future__ import annotations

from tests.harness import GROUP, LI, ZHANG, ZHAO, Harness, Sent, jpeg, seed


def buttons(sent: Sent) -> list[str]:
    assert sent.card is not None
    return [b.label for row in sent.card.actions for b in row]


def copy_in(h: Harness, chat_id: str) -> Sent:
    return next(
        s for s in h.adapter.sent if s.chat.chat_id == chat_id and s.card and s.card.key == "hazard:1"
    )


async def test_a_leads_copy_of_an_inspectors_find_and_of_a_fix_shows_only_what_the_lead_may_do(
    harness: Harness,
) -> None:
    h = harness
    await seed(h)
    await h.say(ZHAO, "/hazard 华油 二车间配电箱门未关闭 3天内", files=(h.add_file(jpeg(1)),))
    group, lead = copy_in(h, GROUP.chat_id), copy_in(h, "p-zhang")
    assert "设为重大隐患" in buttons(group) and "更改类别" in buttons(group)
    assert buttons(lead) == ["提交整改"]  # found by an inspector: the enterprise does not re-grade it
    # The lead fixes; the card changes everywhere, and only managers' copies can verify.
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    assert buttons(copy_in(h, GROUP.chat_id)) == ["验收通过", "驳回"]
    assert buttons(copy_in(h, "p-zhang")) == []
    assert buttons(copy_in(h, "p-li")) == ["验收通过", "驳回"]
    # Pressing anyway (an old copy, forged data) is still refused by the operation.
    await h.press(ZHANG, copy_in(h, GROUP.chat_id), "验收通过")
    assert copy_in(h, GROUP.chat_id).card.status.value == "awaiting_verification"  # type: ignore[union-attr]
    await h.press(LI, copy_in(h, "p-li"), "验收通过")
    assert buttons(copy_in(h, "p-zhang")) == [] and buttons(copy_in(h, GROUP.chat_id)) == []


async def test_a_lead_reporting_privately_sees_their_own_buttons(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(
        ZHANG, "/hazard 仓库灭火器过期 重大隐患", Harness.private(ZHANG), files=(h.add_file(jpeg(3)),)
    )
    own = copy_in(h, "p-zhang")
    # Their own 随手拍: they choose the deadline and the category, but never make a major hazard general.
    assert "提交整改" in buttons(own) and "更改类别" in buttons(own) and "立即整改" in buttons(own)
    assert "设为一般隐患" not in buttons(own)
    assert "设为一般隐患" in buttons(copy_in(h, GROUP.chat_id))
