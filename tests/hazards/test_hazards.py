"""The hazard closed loop through the neutral core: report, draft, album, card, fix, verify, lists."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.messages import FileRef, Sender
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from storage.models import Hazard, HazardEvent, HazardPhoto, Photo
from tests.harness import (
    CHEN,
    GROUP,
    LI,
    LIU,
    MA,
    ZHANG,
    ZHAO,
    Harness,
    Sent,
    card_of,
    count_fetches,
    hazard_by_code,
    jpeg,
    labels,
    make_settings,
    seed,
)


async def events(h: Harness, code: str) -> list[tuple[str, str | None, str | None]]:
    """Return a hazard's ledger events as (action, from status, to status), oldest first."""
    async with h.app.db.unit_of_work() as s:
        rows = await s.execute(
            select(HazardEvent.action, HazardEvent.from_status, HazardEvent.to_status)
            .join(Hazard)
            .where(Hazard.code == code)
            .order_by(HazardEvent.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def report(
    h: Harness, who=ZHANG, text="二车间配电箱门未关闭，无警示标识 限期 12月10日", seed_=1
) -> Sent:  # type: ignore[no-untyped-def]
    out = await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(seed_)),))
    return card_of(out)


async def test_full_loop_album_reject_fix_accept(harness: Harness) -> None:
    h = harness
    await seed(h)
    album = [jpeg(i) for i in (1, 2, 3)]
    out = await h.say(
        ZHANG,
        "/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日",
        files=(h.add_file(album[0]),),
        media_group_id="m1",
    )
    card = card_of(out)
    assert card.chat == GROUP and card.card is not None
    assert card.card.title == "隐患 YH-2026-0001"
    fields = labels(card.card)
    assert (
        fields["企业"] == "华油装备制造有限公司"
        and fields["类别"] == "用电安全"
        and fields["等级"] == "一般隐患"
    )
    assert fields["整改期限"] == "2026-12-10（周四）" and card.card.status.text == "整改中"
    for data in album[1:]:
        assert await h.say(ZHANG, "", files=(h.add_file(data),), media_group_id="m1") == []
    assert card.edits == 2 and labels(card.card)["照片"] == "整改前 3 张，整改后 0 张"  # type: ignore[union-attr]

    # The photo bytes on disk are the bytes that were sent, content-addressed.
    async with h.app.db.unit_of_work() as s:
        paths = [p.path for p in (await s.scalars(select(Photo).order_by(Photo.id))).all()]
    assert [(h.app.settings.storage.photo_dir / p).read_bytes() for p in paths] == album

    # The lead replies to the card with a photo and /fix.
    out = await h.say(
        ZHANG, "/fix 已加锁并张贴警示标识", files=(h.add_file(jpeg(4)),), reply_to=card.message_id
    )
    assert "已提交整改" in h.texts(out)
    assert card.card.status.text == "待验收"  # type: ignore[union-attr]
    private_cards = [s for s in out if s.card is not None and not s.chat.is_group]
    assert {s.chat.chat_id for s in private_cards} == {"p-admin", "p-li", "p-ma"}

    # A manager rejects from the group card; the reason is asked for and reaches the lead.
    outcome = await h.press(LI, card, "驳回")
    asked = h.adapter.sent[-1]
    assert "写明驳回 YH-2026-0001 的原因" in (asked.reply.text or "") and outcome.toast
    out = await h.say(LI, "警示标识不清晰，需重新张贴", reply_to=asked.message_id)
    assert card.card.status.text == "整改中"  # type: ignore[union-attr]
    assert labels(card.card)["驳回原因"] == "警示标识不清晰，需重新张贴"  # type: ignore[union-attr]
    notice = [s for s in out if s.chat.chat_id == "p-zhang"]
    assert notice and "驳回原因：警示标识不清晰" in (notice[0].reply.text or "")
    assert all(s.edits >= 1 for s in private_cards)  # every copy of the card is kept in step

    # Fix again through the card button, then accept from a private copy.
    await h.press(ZHANG, card, "提交整改")
    question = h.adapter.sent[-1]
    await h.say(ZHANG, "已重新张贴反光警示标识", files=(h.add_file(jpeg(5)),), reply_to=question.message_id)
    assert card.card.status.text == "待验收"  # type: ignore[union-attr]
    latest_private = [s for s in h.adapter.sent if s.card is not None and s.chat.chat_id == "p-ma"][-1]
    outcome = await h.press(MA, latest_private, "验收通过")
    assert outcome.toast == "YH-2026-0001 验收通过，已销号。"
    assert card.card.status.text == "已销号" and card.card.actions == ()  # type: ignore[union-attr]
    assert labels(card.card)["验收"].startswith("马科长")  # type: ignore[union-attr]
    # One card in the group for the whole story: edited, never re-sent.
    assert len([s for s in h.adapter.sent if s.card is not None and s.chat == GROUP]) == 1

    assert await events(h, "YH-2026-0001") == [
        ("report", None, "rectifying"),
        ("photos", "rectifying", None),
        ("photos", "rectifying", None),
        ("fix", "rectifying", "awaiting_verification"),
        ("reject", "awaiting_verification", "rectifying"),
        ("fix", "rectifying", "awaiting_verification"),
        ("accept", "awaiting_verification", "closed"),
    ]
    row = await hazard_by_code(h, "YH-2026-0001")
    assert row.status == "closed" and row.closed_at == h.clock.now()
    async with h.app.db.unit_of_work() as s:
        phases = (await s.scalars(select(HazardPhoto.phase).order_by(HazardPhoto.id))).all()
    assert phases == ["before", "before", "before", "after", "after"]

    detail = await h.say(ZHANG, "/hazard YH-2026-0001")
    history = detail[1]
    assert "上报" in (history.reply.text or "") and "驳回整改：警示标识不清晰" in (history.reply.text or "")
    assert [(s.reply.text, len(s.reply.photos)) for s in detail[2:]] == [
        ("整改前照片（3 张）：", 3),
        ("整改后照片（2 张）：", 2),
    ]


async def test_draft_waits_for_photo_and_survives_restart(harness: Harness, tmp_path, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    h = harness
    await seed(h)
    out = await h.say(ZHANG, "/hazard 仓库消防通道堆放杂物 3天内")
    assert "还需要至少一张现场照片" in h.texts(out)
    question = out[0]
    await h.close()

    # A new process on the same database picks the draft up.
    again = await Harness.create(make_settings(sqlite_url, tmp_path), h.clock)
    try:
        out = await again.say(
            ZHANG,
            "",
            files=(again.add_file(jpeg(7)),),
            reply_to=question.message_id,
            update_key="test:after-restart",
        )
        assert any(s.card for s in out), again.texts(out)
        card = card_of(out)
        assert card.card is not None and card.card.title == "隐患 YH-2026-0001"
        assert labels(card.card)["整改期限"] == "2026-12-03（周四）"
        assert labels(card.card)["类别"] == "消防安全"
    finally:
        await again.close()


@pytest.mark.parametrize("who", [ZHAO, LI], ids=["inspector", "manager"])
@pytest.mark.parametrize("where", ["group", "private"])
async def test_enterprise_and_description_first_photo_second(
    any_harness: Harness, who: Sender, where: str
) -> None:
    # A known crash (a lazy load in async code): `/hazard <企业> <描述>` without a photo, then the photo
    # as a reply to the bot's question, each in a unit of work of its own.
    h = any_harness
    await seed(h)
    chat = GROUP if where == "group" else Harness.private(who)
    asked = await h.say(who, "/hazard 华油 二车间配电箱门未关闭 3天内", chat)
    assert "还需要至少一张现场照片" in h.texts(asked)
    out = await h.say(who, "", chat, files=(h.add_file(jpeg(3)),), reply_to=asked[-1].message_id)
    cards = [s for s in out if s.card is not None]
    # The group, the reporter's chat, and the private chat of the enterprise's lead (filed for them).
    assert {s.chat for s in cards} == {GROUP, chat, Harness.private(ZHANG)}, h.texts(out)
    card = cards[0].card
    assert card is not None and card.title == "隐患 YH-2026-0001"
    assert (
        labels(card)["企业"] == "华油装备制造有限公司" and labels(card)["照片"] == "整改前 1 张，整改后 0 张"
    )
    assert labels(card)["上报人"].startswith(who.display_name)
    row = await hazard_by_code(h, "YH-2026-0001")
    assert row.status == "rectifying" and row.reporter_id is not None
    assert await events(h, "YH-2026-0001") == [("report", None, "rectifying")]


async def test_inspector_names_the_enterprise_or_picks_it(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, ZHAO, "宏达 冲床防护罩缺失 7天内")
    assert labels(card.card)["企业"] == "宏达机械有限公司"  # type: ignore[union-attr]
    assert labels(card.card)["上报人"] == "赵工（检查发现）"  # type: ignore[union-attr]

    out = await h.say(ZHAO, "/hazard 叉车无证驾驶 立即整改", files=(h.add_file(jpeg(8)),))
    assert "属于哪家企业" in h.texts(out)
    names = [b.label for row in out[0].reply.buttons for b in row]
    assert names == ["华油", "宏达"]
    await h.press(ZHAO, out[0], "华油")
    card = card_of(h.adapter.sent[-3:])
    assert labels(card.card)["企业"] == "华油装备制造有限公司"  # type: ignore[union-attr]
    assert labels(card.card)["整改方式"] == "立即整改" and card.card.status.text == "待整改"  # type: ignore[union-attr]


async def test_unreadable_due_date_registers_and_buttons_set_it(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(ZHANG, "/hazard 楼梯扶手松动 限期 下辈子", files=(h.add_file(jpeg(9)),))
    card = card_of(out)
    assert "没看懂整改期限" in h.texts(out) and "3天内" in h.texts(out)
    assert card.card.status.text == "待整改" and labels(card.card)["整改方式"] == "待定"  # type: ignore[union-attr]
    await h.press(ZHANG, card, "7天内")
    assert labels(card.card)["整改期限"] == "2026-12-07（周一）" and card.card.status.text == "整改中"  # type: ignore[union-attr]

    out = await h.say(ZHANG, "/hazard 车间地面油污 限期 2025-01-01", files=(h.add_file(jpeg(10)),))
    assert "已经过去了" in h.texts(out)
    second = card_of(out)
    await h.say(ZHANG, "12月20日前", reply_to=second.message_id)  # a deadline written as a reply
    assert labels(second.card)["整改期限"] == "2026-12-20（周日）"  # type: ignore[union-attr]


async def test_major_hazard_asks_for_five_in_place(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(
        ZHANG, "/hazard 重大隐患 液氨储罐区压力表失效 限期 12月15日", files=(h.add_file(jpeg(11)),)
    )
    card = card_of(out)
    assert "需要五落实" in h.texts(out)
    assert labels(card.card)["五落实"] == "未完成，缺：责任人、措施、资金、时限、预案"  # type: ignore[union-attr]
    out = await h.say(ZHANG, "/five 责任人=张伟 措施=更换压力表 资金：3000元", reply_to=card.message_id)
    assert "还缺：时限、预案" in h.texts(out)
    out = await h.say(ZHANG, "/five YH-2026-0001 时限=12月15日 预案=临时停用储罐并设警戒区")
    assert "已全部落实" in h.texts(out) and labels(card.card)["五落实"] == "已落实"  # type: ignore[union-attr]
    row = await hazard_by_code(h, "YH-2026-0001")
    assert row.five_in_place["funds"] == "3000元"


async def test_duplicate_photo_warns_and_bad_files_are_refused(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h, ZHANG, "配电箱门未关 限期 12月10日", seed_=12)
    out = await h.say(ZHANG, "/hazard 配电箱门未关闭 限期 12月10日", files=(h.add_file(jpeg(12)),))
    assert "可能是重复上报" in h.texts(out) and "YH-2026-0001" in h.texts(out)

    big = FileRef("huge", "photo", 30 * 1024 * 1024, "image/jpeg")
    out = await h.say(ZHANG, "/hazard 某处隐患 3天内", files=(big,))
    assert "图片太大" in h.texts(out)
    # A PDF is kept as evidence now (tests/test_documents.py); one cut short is refused as incomplete,
    # and any other document is refused as before.
    h.adapter.files["pdf"] = b"%PDF-1.4"
    out = await h.say(
        ZHANG, "/hazard 某处隐患 3天内", files=(FileRef("pdf", "document", 8, "application/pdf"),)
    )
    assert "PDF 文件不完整" in h.texts(out)
    h.adapter.files["word"] = b"PK\x03\x04 a docx"
    word = FileRef(
        "word", "document", 14, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    out = await h.say(ZHANG, "/hazard 某处隐患 3天内", files=(word,))
    assert "只接受图片" in h.texts(out) and "只接受 PDF" in h.texts(out)
    h.adapter.files["fake"] = b"not an image at all"
    out = await h.say(ZHANG, "/hazard 某处隐患 3天内", files=(FileRef("fake", "photo", 19, "image/jpeg"),))
    assert "只接受图片" in h.texts(out)

    original = jpeg(13, (400, 300))
    h.adapter.files["doc"] = original
    out = await h.say(
        ZHANG,
        "/hazard 原图上报 3天内",
        files=(FileRef("doc", "document", len(original), "image/jpeg", "IMG.jpg"),),
    )
    card_of(out)
    async with h.app.db.unit_of_work() as s:
        photo = await s.scalar(select(Photo).order_by(Photo.id.desc()))
        assert photo is not None and (photo.width, photo.height) == (400, 300)
        assert (h.app.settings.storage.photo_dir / photo.path).read_bytes() == original


async def test_nobody_verifies_their_own_fix(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, ZHANG)
    await h.say(LI, "/fix YH-2026-0001 已由园区协助整改", files=(h.add_file(jpeg(20)),))
    outcome = await h.press(LI, card, "验收通过")
    assert outcome.toast == "不能验收自己提交的整改，请由其他管理人员验收。"
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "awaiting_verification"
    outcome = await h.press(MA, card, "验收通过")
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "closed"
    outcome = await h.press(MA, card, data="hzok:1")  # a stale press after closing changes nothing
    assert "已销号" in (outcome.toast or "")


async def test_lists_by_enterprise_overdue_and_mine(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h, ZHANG, "配电箱门未关 限期 12月3日", seed_=30)
    await report(h, ZHANG, "消防栓被遮挡 限期 12月20日", seed_=31)
    await report(h, LIU, "冲床防护罩缺失 3天内", seed_=32)
    await report(h, ZHAO, "宏达 仓库堆放杂物 立即整改", seed_=33)

    mine = h.texts(await h.say(ZHANG, "/hazards"))
    assert "共 2 条" in mine and "YH-2026-0003" not in mine
    park = h.texts(await h.say(LI, "/hazards"))
    assert "共 4 条" in park
    assert "只能查看本企业" in h.texts(await h.say(ZHANG, "/hazards 宏达"))
    assert "宏达机械有限公司 未销号隐患（共 2 条）" in h.texts(await h.say(LI, "/hazards 宏达"))
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/hazards overdue"))

    h.clock.advance(timedelta(days=5))  # 2026-12-05: the 12-03 deadline has passed
    overdue = h.texts(await h.say(LI, "/hazards overdue"))
    assert "YH-2026-0001" in overdue and "已逾期 2 天" in overdue and "YH-2026-0002" not in overdue
    assert "YH-2026-0003" in overdue  # 3天内 from 11-30 is 12-03
    assert "我上报的隐患（共 1 条）" in h.texts(await h.say(ZHAO, "/hazards mine"))
    assert "只能查看本企业" in h.texts(await h.say(LIU, "/hazard YH-2026-0001"))
    assert "没有找到隐患 YH-2026-9999" in h.texts(await h.say(LI, "/hazard YH-2026-9999"))


async def test_two_reports_at_once_get_two_codes(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    files = (h.add_file(jpeg(40)),), (h.add_file(jpeg(41)),)
    await asyncio.gather(
        h.say(ZHANG, "/hazard 配电箱门未关 3天内", files=files[0]),
        h.say(LIU, "/hazard 冲床防护罩缺失 3天内", files=files[1]),
    )
    async with h.app.db.unit_of_work() as s:
        codes = sorted((await s.scalars(select(Hazard.code))).all())
    assert codes == ["YH-2026-0001", "YH-2026-0002"]
    # Many at once stay unique and gap-free.
    await asyncio.gather(
        *(
            h.say(ZHANG if i % 2 else LIU, f"/hazard 隐患{i} 3天内", files=(h.add_file(jpeg(50 + i)),))
            for i in range(8)
        )
    )
    async with h.app.db.unit_of_work() as s:
        codes = sorted((await s.scalars(select(Hazard.code))).all())
        assert await s.scalar(select(func.count()).select_from(Hazard)) == 10
    assert codes == [f"YH-2026-{n:04d}" for n in range(1, 11)]


@pytest.mark.parametrize("when", [date(2026, 12, 31), date(2027, 1, 1)])
async def test_code_year_follows_park_time_zone(harness: Harness, when: date) -> None:
    from datetime import UTC, datetime

    h = harness
    await seed(h)
    # 2026-12-31 20:00 UTC is already 2027-01-01 in Shanghai.
    h.clock.set(datetime(when.year, when.month, when.day, 20, 0, tzinfo=UTC))
    card = await report(h, ZHANG, "年末检查 立即整改")
    year = (datetime(when.year, when.month, when.day, 20, 0, tzinfo=UTC) + timedelta(hours=8)).year
    assert card.card is not None and card.card.title == f"隐患 YH-{year}-0001"


async def test_open_question_never_captures_a_reply_to_another_card(harness: Harness) -> None:
    h = harness
    await seed(h)
    first = await report(h, ZHANG, "配电箱门未关 3天内", seed_=60)
    second = await report(h, ZHANG, "消防通道堆放杂物 3天内", seed_=61)
    await h.press(ZHANG, first, "提交整改")  # the bot now waits for YH-0001's after-photo
    out = await h.say(ZHANG, "通道已清理", files=(h.add_file(jpeg(62)),), reply_to=second.message_id)
    assert "YH-2026-0002 已补充 1 张整改前照片" in h.texts(out)  # a photo reply adds evidence, no more
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"
    assert (await hazard_by_code(h, "YH-2026-0002")).status == "rectifying"
    await h.say(ZHANG, "/fix 通道已清理", files=(h.add_file(jpeg(63)),), reply_to=second.message_id)
    assert (await hazard_by_code(h, "YH-2026-0002")).status == "awaiting_verification"

    # A manager's chatter in the group is not taken for a rejection reason.
    await h.press(LI, second, "驳回")
    question = h.adapter.sent[-1]
    assert await h.say(LI, "好的，收到") == []
    assert (await hazard_by_code(h, "YH-2026-0002")).status == "awaiting_verification"
    await h.say(LI, "杂物仍在", reply_to=question.message_id)
    assert (await hazard_by_code(h, "YH-2026-0002")).status == "rectifying"


async def test_a_deadline_reply_cannot_skip_verification_or_touch_closed_hazards(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, ZHANG, "楼梯扶手松动", seed_=70)  # no deadline yet
    await h.say(ZHANG, "/fix YH-2026-0001 已加固", files=(h.add_file(jpeg(71)),))
    out = await h.say(ZHANG, "3天内", reply_to=card.message_id)
    assert "不需要回复文字" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "awaiting_verification"
    await h.press(LI, card, "验收通过")
    await h.say(ZHANG, "立即", reply_to=card.message_id)
    out = await h.say(ZHANG, "/five YH-2026-0001 责任人=张伟")
    row = await hazard_by_code(h, "YH-2026-0001")
    assert row.status == "closed" and row.mode is None
    assert [e[0] for e in await events(h, "YH-2026-0001")] == ["report", "fix", "accept"]


async def test_photo_reply_adds_evidence_and_only_fix_submits_and_strangers_are_told_why_not(
    harness: Harness,
) -> None:
    h = harness
    await seed(h)
    card = await report(h, ZHANG, "配电箱门未关 3天内", seed_=80)
    out = await h.say(LIU, "已整改", files=(h.add_file(jpeg(81)),), reply_to=card.message_id)
    assert "只能处理本企业（宏达机械有限公司）" in h.texts(out)
    out = await h.say(CHEN, "补充一张远景", files=(h.add_file(jpeg(82)),), reply_to=card.message_id)
    assert "已补充 1 张整改前照片" in h.texts(out) and "/fix YH-2026-0001" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"
    out = await h.say(CHEN, "/fix 已加锁", files=(h.add_file(jpeg(83)),), reply_to=card.message_id)
    assert "已提交整改" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "awaiting_verification"
    # While it waits for verification, a photo reply is more after-evidence for the managers.
    out = await h.say(CHEN, "另一个角度", files=(h.add_file(jpeg(84)),), reply_to=card.message_id)
    assert "已补充 1 张整改后照片" in h.texts(out)
    # The submitter can take the fix back until it is verified; nobody else can.
    out = await h.say(ZHANG, "/unfix YH-2026-0001")
    assert "只有提交 YH-2026-0001 整改的人才能撤回" in h.texts(out)
    out = await h.say(CHEN, "/unfix YH-2026-0001 拍错了")
    assert "已撤回 YH-2026-0001 的整改" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"
    assert [e[0] for e in await events(h, "YH-2026-0001")][-2:] == ["photos", "unfix"]


async def test_enterprise_cannot_downgrade_an_inspectors_hazard(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, ZHAO, "华油 重大隐患 储罐区无防爆电器", seed_=90)
    outcome = await h.press(CHEN, card, "设为一般隐患")
    assert "不能修改 YH-2026-0001" in (outcome.toast or "")
    outcome = await h.press(ZHANG, card, "15天内")
    assert (await hazard_by_code(h, "YH-2026-0001")).level == "major"
    assert (await hazard_by_code(h, "YH-2026-0001")).mode is None
    # ...but fills in the five-in-place of its own major hazard.
    await h.say(ZHANG, "/five YH-2026-0001 责任人=张伟 措施=更换防爆电器", reply_to=card.message_id)
    assert (await hazard_by_code(h, "YH-2026-0001")).five_in_place["measures"] == "更换防爆电器"
    await h.press(ZHAO, card, "15天内")  # the inspector who found it sets the deadline
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"


async def test_command_glued_to_chinese_text_still_reports(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(ZHANG, "/hazard配电箱门未关闭 3天内", files=(h.add_file(jpeg(100)),))
    card = card_of(out)
    assert labels(card.card)["描述"] == "配电箱门未关闭"  # type: ignore[union-attr]


async def test_group_photos_not_meant_for_the_bot_are_not_downloaded(harness: Harness) -> None:
    h = harness
    await seed(h)
    fetched = count_fetches(h)
    assert await h.say(CHEN, "", files=(h.add_file(jpeg(101)),)) == []  # holiday photo in the group
    assert fetched == []
    await h.say(CHEN, "/hazard 配电箱门未关闭 3天内", files=(h.add_file(jpeg(102)),))
    assert len(fetched) == 1


async def test_detail_view_is_not_a_second_live_card(harness: Harness) -> None:
    from storage.models import CardPost

    h = harness
    await seed(h)
    await report(h)
    await h.press(ZHANG, card_of(h.adapter.sent), "提交整改")  # the bot now waits for an after-photo
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    assert out[0].card is not None and out[0].card.actions == ()
    async with h.app.db.unit_of_work() as s:
        live = select(func.count()).where(CardPost.card_key == "hazard:1")
        assert await s.scalar(live) == 1
    # A photo replying to the view is not taken for the after-photo the open question waits for.
    await h.say(ZHANG, "", files=(h.add_file(jpeg(104)),), reply_to=out[0].message_id)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"


async def test_group_upgraded_to_supergroup_keeps_its_cards(harness: Harness) -> None:
    from storage.models import Chat

    h = harness
    await seed(h)
    card = await report(h, ZHANG, "配电箱门未关 3天内")
    await h.app.dispatcher.migrate_chat("test", "group", "supergroup")
    async with h.app.db.unit_of_work() as s:
        chat = await s.scalar(select(Chat).where(Chat.chat_id == "supergroup"))
        assert chat is not None and chat.is_park_group
        assert await s.scalar(select(func.count()).select_from(Chat).where(Chat.chat_id == "group")) == 0
    # The old card stays in the old chat, where it is still edited; new cards go to the supergroup.
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(103)),))
    assert card.edits == 1 and card.card is not None and card.card.status.text == "待验收"
    out = await h.say(
        ZHANG, "/hazard 消防栓被遮挡 3天内", files=(h.add_file(jpeg(105)),), chat=h.private(ZHANG)
    )
    assert [s.chat.chat_id for s in out if s.card is not None] == ["p-zhang", "supergroup"]


async def test_rejection_takes_its_reason_from_a_card_reply_and_keeps_deadline_buttons(
    harness: Harness,
) -> None:
    """Only a reply to the card is the reason; deadlines can be set after it; a manager's photo is no fix."""
    h = harness
    await seed(h)
    card = await report(h, ZHANG, "楼梯扶手松动", seed_=110)  # no deadline chosen
    await h.say(ZHANG, "/fix YH-2026-0001 已加固", files=(h.add_file(jpeg(111)),))
    await h.press(LI, card, "驳回")
    # A reply to a colleague's message (not the bot's) is not the reason.
    await h.say(LI, "好的我看看", reply_to="u-colleague", reply_to_bot=False)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "awaiting_verification"
    # Replying to the card itself with the reason works.
    await h.say(LI, "扶手仍松动", reply_to=card.message_id)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"
    # Rejected while no deadline was ever set: the deadline buttons still work, and 提交整改 is there.
    labels = [b.label for row in card.card.actions for b in row]  # type: ignore[union-attr]
    assert "3天内" in labels and "提交整改" in labels
    outcome = await h.press(ZHANG, card, "3天内")
    assert "整改期限已设为 2026-12-03" in (outcome.toast or "")
    # A manager's photo reply is not taken for the enterprise's rectification: it is evidence.
    out = await h.say(LI, "现场复查", files=(h.add_file(jpeg(112)),), reply_to=card.message_id)
    assert "已补充 1 张整改前照片" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "rectifying"


async def test_album_step_ends_and_a_lost_role_drops_the_question(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(CHEN, "/hazard 配电箱门未关 3天内", files=(h.add_file(jpeg(120)),), media_group_id="m9")
    fetched = count_fetches(h)
    assert await h.say(CHEN, "", files=(h.add_file(jpeg(121)),)) == []  # a later, unrelated group photo
    assert fetched == []
    await h.say(CHEN, "/hazard 消防栓被遮挡", files=())  # opens a draft question
    async with h.app.db.unit_of_work() as s:
        chen = await park_queries.find_person(s, "test", "chen")
        assert chen is not None
        await park_ops.set_role(s, chen, None, None, actor=None, at=h.clock.now())
    assert (
        await h.say(CHEN, "大家好", reply_to=h.adapter.sent[-1].message_id) == []
    )  # no "need a role" nagging
