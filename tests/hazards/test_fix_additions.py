"""Nothing sent with a fix is lost (issue 18, item 2): an album, photos and PDFs sent right after /fix,
/fix again with photos, and replies to the confirmation, until the fix is verified."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from tests.harness import (
    GROUP,
    LI,
    PDF_TYPE,
    ZHANG,
    Harness,
    Sent,
    add_document,
    after_photos,
    card_of,
    jpeg,
    labels,
    pdf,
    seed,
)

ZHANG_PRIVATE = Harness.private(ZHANG)


async def reported(h: Harness) -> Sent:
    out = await h.say(ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月10日", files=(h.add_file(jpeg(1)),))
    return next(s for s in out if s.card is not None and s.chat == GROUP)


async def test_photos_and_pdfs_sent_after_a_fix_join_it(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    card = await reported(h)
    out = await h.say(ZHANG, "/fix YH-2026-0001 已加锁并张贴警示标识", ZHANG_PRIVATE, files=(h.add_file(jpeg(2)),))
    confirmation = next(s for s in out if s.chat == ZHANG_PRIVATE and "已提交整改" in (s.reply.text or ""))
    assert "10 分钟内在这里发送的照片和 PDF 会补充为整改后材料" in (confirmation.reply.text or "")

    # A photo right after, alone in the same chat: an after-photo of the fix, not a new hazard.
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(3)),))
    assert "登记为隐患" not in h.texts(out) and "请用命令和我交流" not in h.texts(out)
    assert "YH-2026-0001 已补充 1 张整改后照片" in h.texts(out)
    report = add_document(h, pdf(1), "检测报告.pdf", PDF_TYPE)
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(report,))
    assert "YH-2026-0001 已补充 1 份整改后文件（PDF）" in h.texts(out)
    # /fix again with a photo while it waits for verification: more evidence, not "不能提交整改".
    out = await h.say(ZHANG, "/fix YH-2026-0001 远景", ZHANG_PRIVATE, files=(h.add_file(jpeg(4)),))
    assert "已补充 1 张整改后照片" in h.texts(out) and "不能提交整改" not in h.texts(out)
    assert len(await after_photos(h.app, 1)) == 3
    assert labels(card.card)["照片"].endswith("整改后 3 张")  # type: ignore[arg-type]

    # After the short while, a reply to the confirmation still adds (the card is what it is about).
    clock.advance(timedelta(minutes=11))
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(5)),), reply_to=confirmation.message_id)
    assert "已补充 1 张整改后照片" in h.texts(out)
    assert len(await after_photos(h.app, 1)) == 4
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(6)),))
    assert "登记为隐患" in h.texts(out)  # a lone photo later is a photo again


async def test_a_fix_album_keeps_every_photo_and_the_window_ends_at_verification(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await reported(h)
    out = await h.say(
        ZHANG, "/fix 已加锁", files=(h.add_file(jpeg(2)),), reply_to=card.message_id, media_group_id="fix-1"
    )
    assert "已提交整改" in h.texts(out)
    # The rest of the album in the group (not addressed to the bot) joins it quietly.
    rest = await h.say(ZHANG, "", files=(h.add_file(jpeg(3)),), media_group_id="fix-1", reply_to_bot=False)
    assert h.texts(rest) == ""
    assert len(await after_photos(h.app, 1)) == 2
    # Other photos in the group that do not address the bot are never taken.
    assert await h.say(ZHANG, "", files=(h.add_file(jpeg(4)),), reply_to_bot=False) == []
    verify = next(s for s in h.adapter.sent if s.chat == Harness.private(LI) and s.card is not None)
    await h.press(LI, verify, "验收通过")
    # Verified: the window is over; a photo under the card is refused with the hazard's state.
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(5)),), reply_to=card_of([card]).message_id)
    assert "当前状态是“已销号”" in h.texts(out)
    assert len(await after_photos(h.app, 1)) == 2
