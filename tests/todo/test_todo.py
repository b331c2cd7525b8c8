"""我的待办 (issue 18, item 14): /todo (/待办) and /start show a person what waits for them, each item with
the buttons they may press, scoped by role: a lead their enterprise's, managers and inspectors the park's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from bot.clock import ManualClock
from tests.harness import CHEN, LI, LIU, MA, ZHANG, ZHAO, Harness, Sent, jpeg, make_settings, seed


def button_labels(sent: list[Sent]) -> list[str]:
    return [b.label for s in sent for row in s.reply.buttons for b in row]


async def story(h: Harness) -> None:
    """华油 has a hazard to fix and one fixed waiting for verification, a meeting and a campaign to answer."""
    await seed(h)
    await h.say(ZHANG, "/hazard 配电箱门未关闭 2天内", files=(h.add_file(jpeg(1)),))  # 0001: due soon
    await h.say(
        ZHAO, "/hazard 华油 消防通道堵塞 重大隐患 15天内", files=(h.add_file(jpeg(2)),)
    )  # 0002: major
    await h.say(LIU, "/hazard 冲床防护罩缺失 立即整改", files=(h.add_file(jpeg(3)),))  # 0003: 宏达
    await h.say(LIU, "/fix YH-2026-0003 已加装防护罩", files=(h.add_file(jpeg(4)),))  # waits for verification
    await h.say(LI, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会")
    await h.say(LI, "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施")
    await h.say(LIU, "/report ZX-2026-01 已完成排查", files=(h.add_file(jpeg(5)),))


async def test_a_lead_sees_their_enterprises_hazards_notices_and_reports_with_buttons(
    harness: Harness,
) -> None:
    h = harness
    await story(h)
    out = await h.say(ZHANG, "/todo", chat=h.private(ZHANG))
    text = h.texts(out)
    assert "我的待办（安全负责人，华油装备制造有限公司）" in text
    assert "待整改的隐患 2 项" in text and "🔴重大 YH-2026-0002" in text
    assert text.index("YH-2026-0001") < text.index("YH-2026-0002")  # the one due soon first
    assert "YH-2026-0003" not in text  # 宏达's
    assert "待回执的通知 1 项" in text and "HY-2026-01 12月安全生产例会" in text
    assert "待提交的自查报告 1 项" in text and "ZX-2026-01 消防安全百日攻坚" in text
    labels = button_labels(out)
    assert labels == [
        "YH-2026-0001 提交整改",
        "YH-2026-0002 提交整改",
        "HY-2026-01 收到",
        "请假",
        "ZX-2026-01 提交自查报告",
    ]
    assert "验收通过" not in text and "审核通过" not in labels
    # The buttons work: 收到 answers the meeting, and the list no longer shows it.
    notice = next(s for s in out if any(b.label == "HY-2026-01 收到" for row in s.reply.buttons for b in row))
    await h.press(ZHANG, notice, "HY-2026-01 收到")
    assert "待回执的通知" not in h.texts(await h.say(ZHANG, "/待办", chat=h.private(ZHANG)))
    # A member answers notices and fixes, but submits no campaign report.
    # A fix sent back shows why it waits again.
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(6)),))
    await h.say(MA, "/reject YH-2026-0001 警示标识不清晰")
    lines = h.texts(await h.say(ZHANG, "/todo", chat=h.private(ZHANG))).splitlines()
    (line,) = [x for x in lines if "YH-2026-0001" in x]
    assert line.endswith("｜验收未通过：警示标识不清晰")
    member = h.texts(await h.say(CHEN, "/todo", chat=h.private(CHEN)))
    assert "待整改的隐患 2 项" in member and "待提交的自查报告" not in member


async def test_a_manager_sees_the_parks_fixes_to_verify_reports_to_review_and_hazards_due(
    harness: Harness,
) -> None:
    h = harness
    await story(h)
    out = await h.say(LI, "/todo", chat=h.private(LI))
    text = h.texts(out)
    assert "我的待办（包片干部，全园区）" in text
    assert "待验收的整改 1 项" in text and "YH-2026-0003" in text
    assert "待审核的自查报告 1 项" in text and "ZX-2026-01 消防安全百日攻坚｜宏达" in text
    assert "待回执的通知" not in text and "待整改的隐患" not in text
    assert button_labels(out) == ["YH-2026-0003 验收通过", "驳回", "ZX-2026-01 宏达 审核通过", "退回"]
    verify = next(s for s in out if s.reply.buttons and "待验收" in (s.reply.text or ""))
    await h.press(LI, verify, "YH-2026-0003 验收通过")
    assert "待验收的整改" not in h.texts(await h.say(MA, "/todo", chat=h.private(MA)))
    # An inspector: the park's hazards due within three days (and those overdue), no buttons to verify.
    out = await h.say(ZHAO, "/todo", chat=Harness.private(ZHAO))
    text = h.texts(out)
    assert "即将到期或已逾期的隐患 1 项（3 天内到期）" in text and "YH-2026-0001" in text
    assert "YH-2026-0002" not in text  # due in 15 days
    assert "验收通过" not in button_labels(out)


async def test_start_shows_a_known_person_their_todo_first_and_a_group_gets_it_privately(
    harness: Harness,
) -> None:
    h = harness
    await story(h)
    out = await h.say(ZHANG, "/start", chat=h.private(ZHANG))
    assert (out[0].reply.text or "").startswith("您好，张伟！")
    assert "我的待办" in (out[0].reply.text or "") and "待整改的隐患 2 项" in h.texts(out)
    assert "/help" in (out[-1].reply.text or "")
    out = await h.say(ZHANG, "/todo")  # in the group: privately, one line in the group
    assert [s.chat.chat_id for s in out if s.chat.is_group] == ["group"]
    assert "已私聊发给您" in h.texts([s for s in out if s.chat.is_group])
    assert any("待整改的隐患" in (s.reply.text or "") for s in out if s.chat.chat_id == "p-zhang")
    stranger = await h.say(
        Harness.person("nobody", "路人"), "/start", chat=Harness.private(Harness.person("nobody"))
    )
    assert "/join" in h.texts(stranger) and "我的待办" not in h.texts(stranger)


async def test_hazard_lists_mark_major_hazards_and_carry_the_next_step(harness: Harness) -> None:
    h = harness
    await story(h)
    out = await h.say(ZHANG, "/hazards", chat=h.private(ZHANG))
    text = h.texts(out)
    assert "🔴重大 YH-2026-0002" in text and "🔴重大 YH-2026-0001" not in text
    assert button_labels(out) == ["YH-2026-0001 提交整改", "YH-2026-0002 提交整改"]
    out = await h.say(LI, "/hazards", chat=h.private(LI))
    labels = button_labels(out)
    assert "YH-2026-0003 验收通过" in labels and "驳回" in labels  # managers verify (and may fix, too)
    out = await h.say(ZHAO, "/hazards", chat=Harness.private(ZHAO))
    assert button_labels(out) == []  # an inspector neither fixes nor verifies


async def test_sections_say_how_many_more_wait_beyond_those_shown(harness: Harness) -> None:
    h = harness
    await seed(h)
    for i in range(7):  # 7 due within three days, one due later, one immediate (due tomorrow)
        await h.say(ZHANG, f"/hazard 第{i}号灭火器过期 2天内", files=(h.add_file(jpeg(10 + i)),))
    await h.say(ZHANG, "/hazard 楼梯扶手松动 15天内", files=(h.add_file(jpeg(30)),))
    await h.say(LIU, "/hazard 叉车无证驾驶 立即整改", files=(h.add_file(jpeg(31)),))
    text = h.texts(await h.say(ZHAO, "/todo", chat=Harness.private(ZHAO)))
    assert "即将到期或已逾期的隐患 8 项" in text and "另有 3 项" in text
    text = h.texts(await h.say(ZHANG, "/todo", chat=h.private(ZHANG)))
    assert "待整改的隐患 8 项" in text and "另有 3 项" in text


@pytest.fixture
async def rechecking(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """A harness whose park lets the inspector who found a hazard re-check its fix."""
    settings = make_settings(sqlite_url, tmp_path)
    settings = replace(settings, park=replace(settings.park, inspector_recheck=True))
    h = await Harness.create(settings, clock)
    try:
        yield h
    finally:
        await h.close()


async def test_a_rechecking_inspector_sees_the_fixes_of_what_they_found(rechecking: Harness) -> None:
    h = rechecking
    await story(h)
    await h.say(ZHAO, "/start", chat=Harness.private(ZHAO))  # 赵工 opens his private chat
    await h.say(ZHANG, "/fix YH-2026-0002 已清理通道", files=(h.add_file(jpeg(7)),))  # found by 赵工
    out = await h.say(ZHAO, "/todo", chat=Harness.private(ZHAO))
    text = h.texts(out)
    assert "待验收的整改 1 项" in text and "YH-2026-0002" in text and "YH-2026-0003" not in text
    assert button_labels(out)[:2] == ["YH-2026-0002 验收通过", "驳回"]
    copy = next(
        s for s in h.adapter.sent if s.chat.chat_id == "p-zhao" and s.card and s.card.key == "hazard:2"
    )
    assert [b.label for row in copy.card.actions for b in row] == ["验收通过", "驳回"]  # type: ignore[union-attr]
