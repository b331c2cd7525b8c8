"""PDFs as evidence (校验报告, 检测报告): kept with a fix, a report or a card reply; listed and sent back."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.messages import FileRef, reply_from_dict, reply_to_dict
from storage.files import check_photo_files
from storage.models import Document, Hazard, HazardDocument, HazardEvent
from tests.harness import ADMIN_ID, LI, ZHANG, Harness, LiveBot, Sent, card_of, jpeg, labels, seed

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process


def pdf(seed: int, pages: int = 1) -> bytes:
    """Make a small PDF whose bytes differ by seed: the header, some objects, the end-of-file marker."""
    body = b"".join(b"%d 0 obj\n<< /Seed %d >>\nendobj\n" % (i + 1, seed) for i in range(pages))
    return b"%PDF-1.7\n" + body + b"trailer\n<< >>\n%%EOF\n"


def add_pdf(h: Harness, data: bytes, name: str = "校验报告.pdf", mime: str = "application/pdf") -> FileRef:
    """Register PDF bytes and return a document reference to them."""
    ref = h.add_file(data)
    return FileRef(ref.file_id, "document", len(data), mime, name)


async def report(h: Harness, seed_: int = 1) -> Sent:
    out = await h.say(ZHANG, "/hazard 二车间压力表未校验 限期 12月10日", files=(h.add_file(jpeg(seed_)),))
    return card_of(out)


async def links(h: Harness, code: str) -> list[tuple[str, str, str]]:
    """Return a hazard's documents as (phase, file name, action of the event that brought it)."""
    async with h.app.db.unit_of_work() as s:
        rows = await s.execute(
            select(HazardDocument.phase, Document.file_name, HazardEvent.action)
            .join(Document, Document.id == HazardDocument.document_id)
            .join(HazardEvent, HazardEvent.id == HazardDocument.event_id)
            .join(Hazard, Hazard.id == HazardDocument.hazard_id)
            .where(Hazard.code == code)
            .order_by(HazardDocument.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_fix_with_pdf_keeps_it_and_detail_sends_it_back(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    report_pdf = pdf(1)

    # A PDF alone with /fix: kept, but the fix waits for an after-photo (said clearly).
    out = await h.say(ZHANG, "/fix YH-2026-0001 压力表已送检合格", files=(add_pdf(h, report_pdf),))
    said = h.texts(out)
    assert "已收到文件：《校验报告.pdf》" in said and "至少一张整改后的照片" in said
    assert card.card is not None and card.card.status.text == "整改中"
    question = out[-1]

    # The photo as the answer: the fix goes in with the PDF and the note given first.
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(2)),), reply_to=question.message_id)
    assert "已提交整改" in h.texts(out)
    assert card.card.status.text == "待验收"
    fields = labels(card.card)
    assert fields["文件"] == "整改前 0 份，整改后 1 份（PDF）" and fields["整改情况"] == "压力表已送检合格"
    assert await links(h, "YH-2026-0001") == [("after", "校验报告.pdf", "fix")]

    # Stored content-addressed under documents/, the bytes as sent.
    async with h.app.db.unit_of_work() as s:
        doc = await s.scalar(select(Document))
        assert doc is not None and doc.mime_type == "application/pdf" and doc.size == len(report_pdf)
        assert doc.path.startswith("documents/") and doc.path.endswith(f"{doc.sha256}.pdf")
    root = h.app.settings.storage.photo_dir
    assert (root / doc.path).read_bytes() == report_pdf

    # The detail view: a line per document with its name and size, and the file itself.
    out = await h.say(LI, "/hazard YH-2026-0001")
    listing = [s for s in out if s.reply.documents]
    assert len(listing) == 1
    text = listing[0].reply.text or ""
    assert "文件（1 份）：" in text and "整改后：校验报告.pdf（1 KB）" in text
    assert listing[0].reply.documents == (root / doc.path,)
    assert listing[0].reply.document_names == ("校验报告.pdf",)  # sent under its own name, not its hash
    assert reply_from_dict(reply_to_dict(listing[0].reply)) == listing[0].reply  # as the outbox keeps it
    assert "补充文件" not in h.texts(out)  # the fix brought it: no separate event
    assert (await check_photo_files(h.app.db, root, datetime.now(UTC))).clean


async def test_fix_with_photo_and_pdf_in_one_go_through_the_button(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    await h.press(ZHANG, card, "提交整改")
    question = h.adapter.sent[-1]
    out = await h.say(
        ZHANG, "检测报告见附件", files=(add_pdf(h, pdf(2), "检测报告.pdf"),), reply_to=question.message_id
    )
    assert "已收到文件：《检测报告.pdf》" in h.texts(out)
    # A second PDF to the same question is added, not instead.
    out = await h.say(ZHANG, "", files=(add_pdf(h, pdf(3), "合格证.pdf"),), reply_to=question.message_id)
    assert "《检测报告.pdf》、《合格证.pdf》" in h.texts(out)
    await h.say(ZHANG, "/fix YH-2026-0001 已更换", files=(h.add_file(jpeg(4)),))
    assert card.card is not None and card.card.status.text == "待验收"
    assert await links(h, "YH-2026-0001") == [
        ("after", "检测报告.pdf", "fix"),
        ("after", "合格证.pdf", "fix"),
    ]


async def test_pdf_reply_to_card_is_evidence_never_a_fix(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    out = await h.say(ZHANG, "整改方案", files=(add_pdf(h, pdf(4), "方案.pdf"),), reply_to=card.message_id)
    said = h.texts(out)
    assert "已补充 1 份整改前文件" in said and "不算提交整改" in said
    assert card.card is not None and card.card.status.text == "整改中"
    assert labels(card.card)["文件"] == "整改前 1 份，整改后 0 份（PDF）"

    # Awaiting verification: a PDF under the card is added to the fix's evidence.
    await h.say(ZHANG, "/fix YH-2026-0001 已处理", files=(h.add_file(jpeg(5)),))
    out = await h.say(ZHANG, "", files=(add_pdf(h, pdf(5), "复检.pdf"),), reply_to=card.message_id)
    assert "已补充 1 份整改后文件" in h.texts(out) and "不算提交整改" not in h.texts(out)
    assert card.card.status.text == "待验收"
    assert await links(h, "YH-2026-0001") == [
        ("before", "方案.pdf", "documents"),
        ("after", "复检.pdf", "documents"),
    ]
    # /fix with a PDF alone on a fix awaiting verification: added to it, not refused.
    out = await h.say(ZHANG, "/fix YH-2026-0001 补充检测报告", files=(add_pdf(h, pdf(11), "检测.pdf"),))
    assert "已补充 1 份整改后文件" in h.texts(out) and card.card.status.text == "待验收"
    # With a photo it is still refused as before: the fix is already submitted.
    out = await h.say(ZHANG, "/fix YH-2026-0001 再来一张", files=(h.add_file(jpeg(6)),))
    assert "待验收" in h.texts(out) and "已补充" not in h.texts(out)
    out = await h.say(LI, "/hazard YH-2026-0001")
    assert "补充文件：整改前 1 份" in h.texts(out) and "补充文件：整改后 1 份" in h.texts(out)

    # Closed: a PDF under the card is refused, nothing is added.
    await h.press(LI, card, "验收通过")
    out = await h.say(ZHANG, "", files=(add_pdf(h, pdf(12), "迟到.pdf"),), reply_to=card.message_id)
    assert "已销号" in h.texts(out) and len(await links(h, "YH-2026-0001")) == 3


async def test_report_with_pdf_waits_for_a_photo(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(
        ZHANG, "/hazard 锅炉房安全阀超期未检 3天内", files=(add_pdf(h, pdf(6), "检测报告.pdf"),)
    )
    assert "登记隐患还需要至少一张现场照片" in h.texts(out) and all(s.card is None for s in out)
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(6)),), reply_to=out[-1].message_id)
    card = card_of(out)
    assert card.card is not None and labels(card.card)["文件"] == "整改前 1 份，整改后 0 份（PDF）"
    assert await links(h, "YH-2026-0001") == [("before", "检测报告.pdf", "report")]


async def test_only_real_pdfs_are_kept(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    # Says it is a PDF, is not: refused by its header, not trusted by its type.
    out = await h.say(
        ZHANG, "", files=(add_pdf(h, b"MZ\x90\x00 not a pdf at all"),), reply_to=card.message_id
    )
    assert "只接受 PDF" in h.texts(out)
    # A PDF cut short in transfer.
    out = await h.say(ZHANG, "", files=(add_pdf(h, pdf(7)[:-12]),), reply_to=card.message_id)
    assert "PDF 文件不完整" in h.texts(out)
    # Another document type: refused without being downloaded, as before.
    archive = FileRef("never-fetched", "document", 10, "application/zip", "照片.zip")
    out = await h.say(ZHANG, "", files=(archive,), reply_to=card.message_id)
    assert "只接受图片" in h.texts(out)
    # An office file is kept by the store (work plans go with notices), but a hazard keeps PDFs only.
    h.adapter.files["word"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)
    word = FileRef("word", "document", 208, "application/msword", "报告.doc")
    out = await h.say(ZHANG, "", files=(word,), reply_to=card.message_id)
    assert "只接受图片" in h.texts(out) and "只接受 PDF" in h.texts(out)
    # Too large.
    big = FileRef("huge", "document", 30 * 1024 * 1024, "application/pdf", "大.pdf")
    out = await h.say(ZHANG, "", files=(big,), reply_to=card.message_id)
    assert "文件太大（超过" in h.texts(out)
    # A PDF with a vague type but a .pdf name and the header is kept.
    out = await h.say(
        ZHANG,
        "",
        files=(add_pdf(h, pdf(8), "报告.PDF", "application/octet-stream"),),
        reply_to=card.message_id,
    )
    assert "已补充 1 份整改前文件" in h.texts(out)
    async with h.app.db.unit_of_work() as s:
        assert len((await s.scalars(select(Document))).all()) == 1


async def test_same_pdf_twice_is_one_file_and_storage_check_knows_documents(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    data = pdf(9)
    for _ in range(2):
        await h.say(ZHANG, "", files=(add_pdf(h, data),), reply_to=card.message_id)
    assert await links(h, "YH-2026-0001") == [("before", "校验报告.pdf", "documents")]
    root = h.app.settings.storage.photo_dir
    now = datetime.now(UTC)
    result = await check_photo_files(h.app.db, root, now)
    assert result.clean and result.rows == 2 and result.files == 2

    # An orphan document file (no row) is found and, once old, removed; a missing one is reported.
    orphan = h.app.photos.save_document(pdf(10), "x.pdf").path
    os.utime(orphan, (time.time() - 7200,) * 2)
    async with h.app.db.unit_of_work() as s:
        doc = await s.scalar(select(Document))
        assert doc is not None
    (root / doc.path).unlink()
    result = await check_photo_files(h.app.db, root, now, fix=True)
    assert [(o.path, o.action) for o in result.orphans] == [(orphan.relative_to(root).as_posix(), "removed")]
    assert [(m.kind, m.path, m.hazards) for m in result.missing] == [
        ("document", doc.path, ("YH-2026-0001",))
    ]
    assert not orphan.exists()
    # The detail view still lists the lost document, and sends no file for it.
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    listing = [s for s in out if "文件（1 份）" in (s.reply.text or "")]
    assert len(listing) == 1 and listing[0].reply.documents == ()


async def test_migration_0006_adds_documents_to_a_database_with_hazards(any_empty_db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from storage.db import HEAD, Database, current_revision, upgrade

    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0005")
        await upgrade(db.engine)
        assert await current_revision(db.engine) == HEAD
        row = (
            "INSERT INTO documents (sha256, path, size, mime_type, file_name, created_at)"
            " VALUES (:sha, 'documents/ab/x.pdf', 10, 'application/pdf', '报告.pdf', :t)"
        )
        at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
        async with db.engine.begin() as conn:
            await conn.execute(text(row), {"sha": "ab" * 32, "t": at})
        with pytest.raises(IntegrityError):  # the same bytes are one row
            async with db.engine.begin() as conn:
                await conn.execute(text(row), {"sha": "ab" * 32, "t": at})
    finally:
        await db.dispose()


async def test_pdf_fix_over_telegram_and_sent_back_under_its_name(bot: LiveBot) -> None:
    tg = bot.tg
    admin = tg.user(ADMIN_ID, "王主任", "wang")
    chat = tg.private(admin)
    await bot.say(admin, chat, "/enterprise_add 华油装备制造有限公司 华油")

    def sent_after(before: int) -> Callable[[], bool]:
        return lambda: len(tg.sent_messages(ADMIN_ID)) > before

    before = len(tg.sent_messages(ADMIN_ID))
    tg.send_photo(admin, chat, jpeg(1), caption="/hazard 华油 锅炉压力表未校验 3天内")
    await tg.wait_for(lambda: any("YH-2026-0001" in t for t in bot.texts(chat)[before:]))

    before = len(bot.texts(chat))
    tg.send_document(
        admin, chat, pdf(1), "压力表校验报告.pdf", "application/pdf", caption="/fix YH-2026-0001 已送检"
    )
    await tg.wait_for(sent_after(before))
    assert "已收到文件：《压力表校验报告.pdf》" in bot.texts(chat)[before]

    before = len(bot.texts(chat))
    tg.send_photo(admin, chat, jpeg(2), caption="/fix YH-2026-0001 已更换合格压力表")
    await tg.wait_for(lambda: any("已提交整改" in t for t in bot.texts(chat)[before:]))

    before = len(tg.sent_messages(ADMIN_ID))
    tg.send_text(admin, chat, "/hazard YH-2026-0001")
    await tg.wait_for(lambda: any("document" in m for m in tg.sent_messages(ADMIN_ID)[before:]))
    sent = [m["document"] for m in tg.sent_messages(ADMIN_ID)[before:] if "document" in m]
    assert [d["file_name"] for d in sent] == ["压力表校验报告.pdf"]
    assert any("整改后：压力表校验报告.pdf" in t for t in bot.texts(chat)[-6:])
