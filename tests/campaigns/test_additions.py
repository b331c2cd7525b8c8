"""Nothing sent with a campaign report is lost (issue 18, items 1–2): albums, photos sent right after the
text, replies to the confirmation, /report again while in review, and earlier text kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import BroadcastFile, CampaignEvent
from tests.harness import (
    LI,
    ZHANG,
    Harness,
    Sent,
    add_document,
    jpeg,
    labels,
    seed,
    xlsx,
)

LAUNCH = "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施"
ZHANG_PRIVATE = Harness.private(ZHANG)
LI_PRIVATE = Harness.private(LI)


async def task_files(h: Harness) -> tuple[int, int]:
    """Return how many photos and documents the (one) submission holds."""
    async with h.app.db.reading() as s:
        rows = (await s.scalars(select(BroadcastFile).where(BroadcastFile.owner_kind == "task"))).all()
    return sum(r.photo_id is not None for r in rows), sum(r.document_id is not None for r in rows)


def report_card(h: Harness) -> Sent:
    """Return 李干部's copy of 华油's submission card, as it is now."""
    return next(s for s in h.adapter.sent if s.chat == LI_PRIVATE and s.card and s.card.key.startswith("report:"))


async def test_a_resubmitted_album_keeps_every_photo_and_the_earlier_text(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, LAUNCH)
    await h.say(ZHANG, "/report ZX-2026-01 第一次自查：已排查全部灭火器", ZHANG_PRIVATE)
    await h.press(LI, report_card(h), "退回")
    asked = h.adapter.sent[-1]
    out = await h.say(LI, "缺少整改照片", LI_PRIVATE, reply_to=asked.message_id)
    returned = next(s for s in out if s.chat == ZHANG_PRIVATE)
    assert "被退回，原因：缺少整改照片" in (returned.reply.text or "")

    # The album as a phone sends it: the caption (and the reply) on the first photo, the rest alone.
    first = await h.say(
        ZHANG, "已补充整改照片", ZHANG_PRIVATE, files=(h.add_file(jpeg(1)),), reply_to=returned.message_id,
        media_group_id="album-1",
    )
    assert "自查报告已提交" in h.texts(first)
    rest = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(2)),), media_group_id="album-1")
    assert "登记为隐患" not in h.texts(rest)  # the second photo is never offered as a new hazard
    # The card changes in place; the submitter hears nothing per album photo, managers get the photo.
    assert not [s for s in rest if s.chat == ZHANG_PRIVATE and s.reply.text]
    to_li = [s for s in rest if s.chat == LI_PRIVATE and s.reply.photos]
    assert len(to_li) == 1 and "自查报告（同一相册）：照片 1 张" in (to_li[0].reply.text or "")
    assert await task_files(h) == (2, 0)
    fields = labels(report_card(h).card)  # type: ignore[arg-type]
    assert fields["附件"] == "照片 2 张"
    # Both texts, newest first, each with when and how it came.
    notes = fields["自查情况"].splitlines()
    assert len(notes) == 2
    assert "重新提交】已补充整改照片" in notes[0] and "提交】第一次自查：已排查全部灭火器" in notes[1]
    async with h.app.db.reading() as s:
        actions = (await s.scalars(select(CampaignEvent.action).order_by(CampaignEvent.id))).all()
    assert list(actions) == ["launch", "submit", "return", "submit"]  # the album is one submission


async def test_photos_and_files_sent_after_the_text_join_the_report(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, LAUNCH)
    campaign = out[0]
    await h.press(ZHANG, campaign, "提交自查报告")
    out = await h.say(ZHANG, "已排查全部灭火器和疏散通道", ZHANG_PRIVATE)
    confirmation = next(s for s in out if s.chat == ZHANG_PRIVATE)
    assert "10 分钟内在这里发送的照片和文件会补充到这份报告" in (confirmation.reply.text or "")

    # A photo right after the text, in the same chat: added, said, the card changes, managers get it.
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(1)),))
    said = h.texts(out)
    assert "请用命令和我交流" not in said and "登记为隐患" not in said
    assert "已补充到华油装备制造有限公司的 ZX-2026-01 自查报告：照片 1 张" in said
    told = next(s for s in out if s.chat == LI_PRIVATE and s.reply.text)
    assert "华油装备制造有限公司补充了 ZX-2026-01 自查报告的材料：照片 1 张" in (told.reply.text or "")
    assert len(told.reply.photos) == 1
    assert labels(report_card(h).card)["附件"] == "照片 1 张"  # type: ignore[arg-type]

    # A reply to the confirmation with a file and a few words: added too (the text kept beside the first).
    sheet = add_document(h, xlsx(1), "自查表.xlsx")
    out = await h.say(ZHANG, "附自查表", ZHANG_PRIVATE, files=(sheet,), reply_to=confirmation.message_id)
    assert "说明 1 条、文件《自查表.xlsx》" in h.texts(out)
    # /report with a photo while the report is in review adds to it instead of "正在等待审核".
    out = await h.say(ZHANG, "/report ZX-2026-01", ZHANG_PRIVATE, files=(h.add_file(jpeg(2)),))
    assert "正在等待审核" not in h.texts(out) and "照片 1 张" in h.texts(out)
    assert await task_files(h) == (2, 1)
    # The same photo again is not added twice.
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(2)),))
    assert "已经有了" in h.texts(out)

    # After the short while, a photo alone in the private chat is a photo again (a new hazard?) ...
    clock.advance(timedelta(minutes=11))
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(3)),))
    assert "登记为隐患" in h.texts(out)
    await h.press(ZHANG, out[-1], "不用了")
    # ... but a reply to the confirmation still adds to the report (补充材料) until it is decided.
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(4)),), reply_to=confirmation.message_id)
    assert "已补充到" in h.texts(out)
    assert await task_files(h) == (3, 1)
    fields = labels(report_card(h).card)  # type: ignore[arg-type]
    assert fields["附件"] == "《自查表.xlsx》；照片 3 张"
    # The card says what came when: each addition with its files, newest first, the first text kept.
    notes = [line.split(" ", 1)[1] for line in fields["自查情况"].splitlines()]
    assert notes == [
        "09:11 补充】照片 1 张",
        "09:00 补充】照片 1 张",
        "09:00 补充】附自查表（《自查表.xlsx》）",
        "09:00 补充】照片 1 张",
        "09:00 提交】已排查全部灭火器和疏散通道",
    ]

    # A manager replying to the card is shown how to review; once accepted, nothing more is added.
    out = await h.say(LI, "看过了", LI_PRIVATE, reply_to=report_card(h).message_id)
    assert "审核通过" in h.texts(out)
    await h.press(LI, report_card(h), "审核通过")
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(5)),), reply_to=confirmation.message_id)
    assert "已审核通过，现在不能补充材料" in h.texts(out)
    assert await task_files(h) == (3, 1)


async def test_a_photo_right_after_a_return_is_the_resubmission(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, LAUNCH)
    await h.say(ZHANG, "/report ZX-2026-01 已排查", ZHANG_PRIVATE)
    await h.say(LI, "/report_return ZX-2026-01 华油 缺照片", LI_PRIVATE)
    # Still within the short while after the first submission: not "不能补充材料", a dead end.
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(h.add_file(jpeg(1)),))
    assert "不能补充材料" not in h.texts(out) and "自查报告已提交" in h.texts(out)
    fields = labels(report_card(h).card)  # type: ignore[arg-type]
    assert fields["自查情况"] == "已排查" and fields["附件"] == "照片 1 张"
    assert report_card(h).card.status.text == "待审核"  # type: ignore[union-attr]
