"""Questions the bot asks are typed, stored, and expire: a lapsed or unknown one is never an answer."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.messages import ChatRef, Sender
from domain.park import queries as park_queries
from storage.models import Conversation, HazardEvent
from tests.harness import GROUP, LI, LIU, MA, ZHANG, Harness, Sent, hazard_status, jpeg


async def awaiting_verification(h: Harness) -> Sent:
    """Report a hazard as 张伟 and submit its fix; return the group card."""
    out = await h.say(ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月10日", files=(h.add_file(jpeg(1)),))
    card = next(s for s in out if s.card is not None)
    await h.say(ZHANG, "/fix 已加锁", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    return card


async def reject_privately(h: Harness) -> ChatRef:
    """Have 李干部 press 驳回 on his private copy of the card (he is asked for a reason); return that chat."""
    private = h.private(LI)
    copy = next(s for s in h.adapter.sent if s.chat == private and s.card is not None)
    await h.press(LI, copy, "驳回")
    return private


async def test_expired_rejection_reason_is_not_taken_as_the_answer(seeded: Harness) -> None:
    h = seeded
    card = await awaiting_verification(h)
    private = await reject_privately(h)
    h.clock.advance(timedelta(days=30))
    before = len(h.adapter.sent)
    out = await h.say(LI, "今天开会吗", chat=private)
    assert "已超时" in h.texts(out) and "驳回原因" in h.texts(out)
    assert await hazard_status(h) == "awaiting_verification"
    assert not any("验收未通过" in (s.reply.text or "") for s in h.adapter.sent[before:])
    # Said once: the next message is an ordinary one.
    out = await h.say(LI, "你好", chat=private)
    assert "已超时" not in h.texts(out)
    assert card.card is not None and card.card.status is not None
    assert card.card.status.text == "待验收"


async def test_rejection_reason_within_its_time_is_taken(seeded: Harness) -> None:
    h = seeded
    await awaiting_verification(h)
    private = await reject_privately(h)
    h.clock.advance(timedelta(hours=23))
    out = await h.say(LI, "警示标识不清晰", chat=private)
    assert "已驳回" in h.texts(out)
    assert await hazard_status(h) == "rectifying"


@pytest.mark.parametrize(("kind", "data"), [("renamed_kind", {}), ("hazard_reject", {"unknown_field": 1})])
async def test_unknown_or_malformed_question_is_dropped_and_logged(
    seeded: Harness, caplog: pytest.LogCaptureFixture, kind: str, data: dict[str, int]
) -> None:
    h = seeded
    now = h.clock.now()
    async with h.app.db.unit_of_work() as s:
        li = await park_queries.find_person(s, "test", "li")
        assert li is not None
        s.add(
            Conversation(
                platform="test",
                chat_id="p-li",
                person_id=li.id,
                kind=kind,
                data=data,
                created_at=now,
                updated_at=now,
            )
        )
    with caplog.at_level(logging.WARNING):
        out = await h.say(LI, "今天开会吗", chat=h.private(LI))
    assert "出错" not in h.texts(out) and "请用命令和我交流" in h.texts(out)
    assert "dropping a stored" in caplog.text
    async with h.app.db.unit_of_work() as s:
        assert (await s.scalars(select(Conversation))).all() == []
    out = await h.say(LI, "/whoami", chat=h.private(LI))
    assert "李干部" in h.texts(out)


async def test_album_step_waits_minutes_not_days(seeded: Harness) -> None:
    h = seeded
    await h.say(ZHANG, "/hazard 配电箱门未关 3天内", files=(h.add_file(jpeg(11)),), media_group_id="m1")
    await h.say(ZHANG, "", files=(h.add_file(jpeg(12)),), media_group_id="m1")  # same album: added
    h.clock.advance(timedelta(hours=1))
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(13)),), media_group_id="m1", reply_to_bot=False)
    assert out == []  # an hour later the album question has lapsed: the photo is not for the bot
    async with h.app.db.unit_of_work() as s:
        events = (await s.scalars(select(HazardEvent.action).order_by(HazardEvent.id))).all()
    assert events == ["report", "photos"]


async def test_a_question_asked_in_a_group_ignores_chatter_and_other_people(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHANG, "/hazard 消防栓被遮挡")  # no photo: the bot asks for one
    question = out[-1]
    stranger = Sender("test", "passer", "路人")
    assert await h.say(stranger, "", files=(h.add_file(jpeg(20)),), reply_to=question.message_id) == []
    assert await h.say(ZHANG, "大家好", chat=GROUP, reply_to_bot=False) == []
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(21)),), reply_to=question.message_id)
    assert any(s.card is not None for s in out)


async def test_read_only_commands_keep_an_open_question_and_others_say_they_dropped_it(
    seeded: Harness,
) -> None:
    h = seeded
    out = await h.say(LIU, "/hazard 二号行车钢丝绳断股 限期 本月底", chat=h.private(LIU))  # no photo yet
    await h.say(LIU, "/hazards mine", chat=h.private(LIU))
    await h.say(LIU, "/whoami", chat=h.private(LIU))
    out = await h.say(LIU, "", files=(h.add_file(jpeg(30)),), chat=h.private(LIU))
    assert any(s.card is not None for s in out)  # the draft was still there
    await h.say(LIU, "/hazard 配电箱无警示标识", chat=h.private(LIU))  # a new draft waits for a photo
    out = await h.say(LIU, "/five YH-2026-0001 责任人=刘芳", chat=h.private(LIU))
    assert "未完成的隐患草稿已放弃" in h.texts(out)
    out = await h.say(LIU, "/cancel", chat=h.private(LIU))
    assert h.texts(out) == "没有需要取消的操作。"


async def test_a_verification_closes_other_peoples_questions_about_the_hazard(seeded: Harness) -> None:
    h = seeded
    await awaiting_verification(h)
    private = await reject_privately(h)  # 李干部 is asked for a reason and does not answer
    await h.say(MA, "/accept YH-2026-0001")  # 马科长 accepts meanwhile
    out = await h.say(LI, "好的", chat=private)
    assert "请用命令和我交流" in h.texts(out)  # not taken for a rejection reason, no error
    assert await hazard_status(h) == "closed"


async def test_a_reply_to_a_prompt_or_notice_naming_a_hazard_counts_for_that_hazard(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHANG, "/hazard 重大隐患 二号行车钢丝绳断股 3天内", files=(h.add_file(jpeg(40)),))
    prompt = next(s for s in out if "五落实" in (s.reply.text or ""))
    out = await h.say(
        ZHANG, "/five 责任人=张伟 措施=停用 资金=1万 时限=12月2日 预案=已制定", reply_to=prompt.message_id
    )
    assert "五落实已全部落实" in h.texts(out)
    await h.say(ZHANG, "/fix YH-2026-0001 已更换", files=(h.add_file(jpeg(41)),))
    await h.say(LI, "/reject YH-2026-0001 照片不清楚")
    notice = next(s for s in h.adapter.sent if "验收未通过" in (s.reply.text or ""))
    assert notice.chat == h.private(ZHANG)
    out = await h.say(
        ZHANG,
        "/fix 已重新拍照",
        files=(h.add_file(jpeg(42)),),
        chat=h.private(ZHANG),
        reply_to=notice.message_id,
    )
    assert "YH-2026-0001 已提交整改" in h.texts(out)
