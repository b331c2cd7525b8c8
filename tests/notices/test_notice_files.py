"""Nothing sent with a notice is lost (issue 18, items 2–3): a manager's file sent before /notice is held
for it, files sent right after (or the rest of the album) join it, and replies to the card add more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import BroadcastFile, Notice, NoticeEvent
from tests.harness import (
    GROUP,
    LI,
    PDF_TYPE,
    ZHANG,
    Harness,
    Sent,
    add_document,
    jpeg,
    labels,
    pdf,
    seed,
    xlsx,
)

LI_PRIVATE = Harness.private(LI)
ZHANG_PRIVATE = Harness.private(ZHANG)


def notice_card(h: Harness) -> Sent:
    """Return the notice card in the park group, as it is now."""
    return next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key.startswith("notice:"))


async def notice_files(h: Harness) -> tuple[int, int]:
    """Return how many photos and documents the notices hold."""
    async with h.app.db.reading() as s:
        rows = (await s.scalars(select(BroadcastFile).where(BroadcastFile.owner_kind == "notice"))).all()
    return sum(r.photo_id is not None for r in rows), sum(r.document_id is not None for r in rows)


async def test_a_file_sent_before_the_notice_goes_with_it(harness: Harness) -> None:
    h = harness
    await seed(h)
    sheet = add_document(h, xlsx(1), "自查表.xlsx")
    out = await h.say(LI, "", LI_PRIVATE, files=(sheet,))
    said = h.texts(out)
    assert "只接受 PDF" not in said and "请用命令和我交流" not in said
    assert "已收到文件《自查表.xlsx》。先为您保留 10 分钟" in said
    # A second file joins the first; a read-only look does not drop them; a wrong /notice keeps them.
    out = await h.say(LI, "还有方案", LI_PRIVATE, files=(add_document(h, pdf(1), "方案.pdf", PDF_TYPE),))
    assert "《自查表.xlsx》《方案.pdf》" in h.texts(out)
    await h.say(LI, "/notice", LI_PRIVATE)
    out = await h.say(LI, "/notice 关于开展冬季消防安全检查的通知。请各企业对照自查表自查。", LI_PRIVATE)
    said = h.texts(out)
    assert "已附上您之前发送的文件《自查表.xlsx》《方案.pdf》" in said
    card = notice_card(h)
    assert "《自查表.xlsx》" in labels(card.card)["附件"]  # type: ignore[arg-type]
    assert card.reply.document_names == ("自查表.xlsx", "方案.pdf")
    # Taken once: the next notice goes without them.
    await h.say(LI, "/notice 关于另一件事的通知", LI_PRIVATE)
    assert await notice_files(h) == (0, 2)


async def test_held_files_can_be_declined_and_lapse(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    # A caption that is not a command is only words: the file is held all the same.
    out = await h.say(LI, "这是自查表", LI_PRIVATE, files=(add_document(h, xlsx(1), "自查表.xlsx"),))
    assert "先为您保留" in h.texts(out)
    held = out[-1]
    outcome = await h.press(LI, held, "不用了")
    assert outcome.toast == "好的，这些文件不会附到通知上。"
    assert (await h.press(LI, held, "不用了")).toast == "这些文件已不再保留（超过时间或已附到通知上）。"
    await h.say(LI, "", LI_PRIVATE, files=(add_document(h, xlsx(2), "自查表2.xlsx"),))
    clock.advance(timedelta(minutes=11))
    out = await h.say(LI, "/notice 关于冬季用电安全的通知", LI_PRIVATE)
    assert "要附到通知上的文件已超时" in h.texts(out)  # said, not attached silently or lost silently
    assert await notice_files(h) == (0, 0)
    # A lead's lone office file is still refused for hazards (it is not a notice sender's).
    out = await h.say(ZHANG, "", ZHANG_PRIVATE, files=(add_document(h, xlsx(3), "台账.xlsx"),))
    assert "先为您保留" not in h.texts(out)


async def test_files_after_a_notice_and_replies_to_its_card_are_added(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    out = await h.say(
        LI, "/notice 关于开展冬季消防安全检查的通知", LI_PRIVATE, files=(h.add_file(jpeg(1)),), media_group_id="n-1"
    )
    confirmation = next(s for s in out if s.chat == LI_PRIVATE and s.reply.text)
    assert "10 分钟内在这里发送的照片和文件会补充到这份通知" in (confirmation.reply.text or "")
    # The rest of the album, then a file alone: both join the notice; the groups get the new files.
    rest = await h.say(LI, "", LI_PRIVATE, files=(h.add_file(jpeg(2)),), media_group_id="n-1")
    assert "登记为隐患" not in h.texts(rest)
    out = await h.say(LI, "", LI_PRIVATE, files=(add_document(h, xlsx(1), "自查表.xlsx"),))
    assert "已为 TZ-2026-01 添加附件：《自查表.xlsx》，各群的卡片已更新" in h.texts(out)
    posted = next(s for s in out if s.chat == GROUP and s.reply.documents)
    assert posted.reply.document_names == ("自查表.xlsx",) and "补充附件" in (posted.reply.text or "")
    assert labels(notice_card(h).card)["附件"] == "《自查表.xlsx》；照片 2 张"  # type: ignore[arg-type]
    # Receipts stand: an enterprise that answered keeps its answer.
    await h.press(ZHANG, notice_card(h), "收到")
    clock.advance(timedelta(minutes=30))
    out = await h.say(LI, "", LI_PRIVATE, files=(add_document(h, pdf(2), "方案.pdf", PDF_TYPE),), reply_to=confirmation.message_id)
    assert "已为 TZ-2026-01 添加附件：《方案.pdf》" in h.texts(out)
    assert await notice_files(h) == (2, 2)
    assert "已回执 1/" in labels(notice_card(h).card)["回执"]  # type: ignore[arg-type]
    async with h.app.db.reading() as s:
        actions = (await s.scalars(select(NoticeEvent.action).order_by(NoticeEvent.id))).all()
        notice = await s.scalar(select(Notice))
    assert list(actions) == ["issue", "files_add", "files_add", "confirm", "files_add"] and notice is not None
    # A lead's photo under the card is not a file of the notice.
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(9)),), reply_to=notice_card(h).message_id)
    assert await notice_files(h) == (2, 2)


async def test_a_managers_photo_with_words_is_held_not_lost(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(LI, "会议附图", LI_PRIVATE, files=(h.add_file(jpeg(1)),))
    said = h.texts(out)
    assert "请用命令和我交流" not in said and "已收到照片 1 张。先为您保留 10 分钟" in said and "/hazard" in said
    out = await h.say(LI, "/meeting 明天 09:00 管委会三楼会议室 12月安全生产例会", LI_PRIVATE)
    assert "已附上您之前发送的照片 1 张" in h.texts(out)
    assert await notice_files(h) == (1, 0)
