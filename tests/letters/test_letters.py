"""Responsibility letters (目标责任状) through the neutral core: a manager issues the year's letter with its
document, leads return it signed (a photo replying to the card, a PDF through the button's question), the
card counts 签订 n/N in place, /letters lists who has not signed, /summary says how many signed."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from tests.harness import (
    CHEN,
    GROUP,
    LI,
    LIU,
    XLSX_TYPE,
    ZHANG,
    ZHAO,
    Harness,
    Sent,
    add_document,
    card_of,
    jpeg,
    labels,
    pdf,
    seed,
    xlsx,
)

ISSUE = "/letter 2026 2026年度安全生产目标责任状"
PDF = "application/pdf"


def letter_card(h: Harness) -> Sent:
    """Return the letter card in the park group, as it is now."""
    return next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key.startswith("letter:"))


async def test_a_letter_is_issued_signed_by_every_lead_and_counted(
    harness: Harness, clock: ManualClock
) -> None:
    h = harness
    await seed(h)
    # A letter goes out with its document; an inspector may not issue one.
    assert "请随目标责任状文件" in h.texts(await h.say(LI, ISSUE))
    doc = add_document(h, pdf(1), "2026年度目标责任状.pdf", PDF)
    assert "需要管理员或包片干部身份" in h.texts(await h.say(ZHAO, ISSUE, files=(doc,)))
    out = await h.say(LI, ISSUE, files=(add_document(h, pdf(1), "2026年度目标责任状.pdf", PDF),))
    card = card_of(out)
    assert card.card is not None and card.card.title == "目标责任状 2026年度"
    fields = labels(card.card)
    assert fields["名称"] == "2026年度安全生产目标责任状" and fields["签订"] == "0/2"
    assert "2026年度目标责任状.pdf" in fields["文件"]
    # One letter a year.
    again = await h.say(LI, ISSUE, files=(add_document(h, pdf(2), "b.pdf", PDF),))
    assert "2026年度目标责任状已经下发" in h.texts(again)

    # A member and an inspector cannot sign; the button tells them so.
    assert "这个操作需要以下身份之一" in h.texts(
        await h.say(CHEN, "/sign 2026", files=(h.add_file(jpeg(1)),))
    )
    assert (await h.press(ZHAO, card, "上传签字件")).toast == "回传目标责任状需要企业安全负责人身份。"
    assert (await h.press(CHEN, card, "上传签字件")).toast == "回传目标责任状需要企业安全负责人身份。"

    # 华油's lead replies to the card with a photo of the signed letter: the card counts it in place.
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    assert "华油装备制造有限公司已签订2026年度目标责任状" in h.texts(out)
    assert labels(letter_card(h).card)["签订"] == "1/2"  # type: ignore[arg-type]
    told = [s for s in out if s.chat.chat_id == "p-li"]
    assert told and "已签订 1/2" in h.texts(told)
    assert "无需重复" in h.texts(await h.say(ZHANG, "/sign", files=(h.add_file(jpeg(3)),)))

    # 宏达's lead sees the letter in 我的待办; 华油's, who signed, does not.
    todo = h.texts(await h.say(LIU, "/todo", Harness.private(LIU)))
    assert "待签订的目标责任状 1 项：" in todo and "2026年度 2026年度安全生产目标责任状" in todo
    assert "待签订的目标责任状" not in h.texts(await h.say(ZHANG, "/todo", Harness.private(ZHANG)))

    # /letters (a manager, privately): who has not signed, who signed when.
    listed = h.texts(await h.say(LI, "/letters", Harness.private(LI)))
    assert "已签订 1/2" in listed and "未签订（1 家）：宏达机械有限公司" in listed
    assert "华油装备制造有限公司｜2026-11-30" in listed and "张伟" in listed

    # 宏达's lead presses 上传签字件; the bot asks privately; a spreadsheet is not a scan, a PDF is.
    outcome = await h.press(LIU, card, "上传签字件")
    assert outcome.toast == "请在私聊中发送签字扫描件"
    private = Harness.private(LIU)
    assert "请发送签字盖章后的" in h.texts(await h.say(LIU, "好的", private))
    sheet = add_document(h, xlsx(1), "表.xlsx", XLSX_TYPE)
    assert "其他文件不算签订" in h.texts(await h.say(LIU, "", private, files=(sheet,)))
    out = await h.say(LIU, "", private, files=(add_document(h, pdf(3), "签字版.pdf", PDF),))
    assert "宏达机械有限公司已签订2026年度目标责任状" in h.texts(out)
    final = letter_card(h).card
    assert final is not None and labels(final)["签订"] == "2/2" and final.status is not None
    assert final.status.text == "已全部签订" and final.actions == ()
    assert "全部企业均已签订" in h.texts(await h.say(LI, "/letters 2026", Harness.private(LI)))

    # The year's summary says how many enterprises signed.
    assert "与 2 家企业签订目标责任状" in h.texts(await h.say(LI, "/summary 2026"))
    # The Chinese alias works.
    assert "目标责任状 2026年度" in (card_of(await h.say(LI, "/责任状 2026")).card.title)  # type: ignore[union-attr]


async def test_enterprises_that_have_not_signed_are_reminded_once_a_day(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, ISSUE, files=(add_document(h, pdf(1), "2026年度目标责任状.pdf", PDF),))  # Mon 11-30 09:00
    await h.say(ZHANG, "/sign 2026", files=(h.add_file(jpeg(1)),))
    assert await h.remind(datetime(2026, 12, 2, 2, 0, tzinfo=UTC)) == []  # two days after: not yet
    out = await h.remind(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # three days after, 10:00 in the park
    assert [s.chat.chat_id for s in out] == ["p-liu"]  # 华油 signed: only 宏达's lead
    assert "宏达机械有限公司还没有回传签字的2026年度目标责任状" in h.texts(out)
    assert out[0].reply.buttons[0][0].label == "上传签字件"
    assert await h.remind(datetime(2026, 12, 3, 5, 0, tzinfo=UTC)) == []  # once a day
    assert await h.remind(datetime(2026, 12, 3, 15, 0, tzinfo=UTC)) == []  # 23:00: quiet hours
    await h.say(LIU, "/sign 2026", files=(h.add_file(jpeg(2)),))
    assert await h.remind(datetime(2026, 12, 4, 2, 0, tzinfo=UTC)) == []  # all signed


async def test_the_exported_ledger_has_a_sheet_of_who_signed_when_with_the_scans(harness: Harness) -> None:
    from openpyxl import load_workbook

    h = harness
    await seed(h)
    await h.say(LI, ISSUE, files=(add_document(h, pdf(1), "2026年度目标责任状.pdf", PDF),))
    await h.say(ZHANG, "/sign 2026", files=(add_document(h, pdf(2), "华油签字版.pdf", PDF),))
    out = await h.say(LI, "/export 2026", Harness.private(LI))
    doc = next(s for s in out if s.reply.documents)
    ws = load_workbook(doc.reply.documents[0])["目标责任状"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:5] == (2026, "华油装备制造有限公司", "已签订", "2026-11-30 09:00", "张伟")
    assert rows[0][5] == "查看《华油签字版.pdf》"
    link = ws.cell(row=3, column=6).hyperlink
    assert link is not None and link.target.startswith("file://") and link.target.endswith(".pdf")
    assert rows[1][:3] == (2026, "宏达机械有限公司", "未签订")
