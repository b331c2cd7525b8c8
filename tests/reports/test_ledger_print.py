"""The ledger a clerk can file (issue 19 item 8): 部位, 来源, 上报人 and 包片干部 columns, wrapped descriptions, A4
landscape with the header on every page, page numbers in the footer and a 制表人 / 审核人 / 日期 line,
read back with openpyxl."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from domain.hazards import chain
from handlers import texts as T
from handlers.reports import ledger_xlsx
from tests.harness import ADMIN, LI, ZHANG, ZHAO, Harness, jpeg


async def test_the_exported_ledger_prints_as_a_clerk_files_it(seeded: Harness) -> None:
    h = seeded
    await h.say(ZHANG, "/hazard 位置：二车间配电室 配电箱门未关闭 7天内", files=(h.add_file(jpeg(1)),))
    await h.say(ZHAO, "/hazard 华油 喷漆车间 通风不良，" + "废气收集罩破损" * 8, files=(h.add_file(jpeg(2)),))
    await h.say(LI, "/hazard 宏达 叉车制动失灵", files=(h.add_file(jpeg(3)),))
    await h.say(LI, "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施")
    await h.say(ZHANG, "/hazard 消防通道堵塞 ZX-2026-01", files=(h.add_file(jpeg(4)),))
    assert "李干部" in h.texts(await h.say(ADMIN, "/officer 华油 李干部", Harness.private(ADMIN)))

    out = await h.say(LI, "/export 2026", Harness.private(LI))
    wb = load_workbook(next(s for s in out if s.reply.documents).reply.documents[0])
    ledger = wb["隐患台账"]
    header = [c.value for c in ledger[2]]
    assert header[3:8] == ["企业", "部位", "隐患描述", "来源", "上报人"]
    rows = [r for r in ledger.iter_rows(min_row=3, values_only=True) if r[1]]
    assert [r[4:8] for r in rows] == [
        ("二车间配电室", "配电箱门未关闭", "随手拍", "张伟"),
        ("喷漆车间", "喷漆车间 通风不良，" + "废气收集罩破损" * 8, "专家", "赵工"),
        (None, "叉车制动失灵", "检查", "李干部"),
        (None, "消防通道堵塞", "随手拍（消防安全百日攻坚）", "张伟"),
    ]
    assert rows[1][3] == "华油装备制造有限公司"  # the enterprise typed first is its own column, not the text
    # A ledger of up to 2,000 hazards shows each row's first photo in its cell (the link stays beside it).
    pictures = sorted((p.anchor._from.col, p.anchor._from.row) for p in ledger._images)
    assert pictures == [(19, 2), (19, 3), (19, 4), (19, 5)]  # column T (0-based 19), rows 3–6
    assert ledger.row_dimensions[3].height == 60 and ledger["T3"].hyperlink is not None
    assert header[-1] == "包片干部"  # the officer who looks after the enterprise (包片包户), 宏达 has none yet
    assert [r[len(header) - 1] for r in rows] == ["李干部", "李干部", None, "李干部"]
    description = ledger["F4"]
    assert description.alignment.wrap_text and description.alignment.vertical == "top"
    last = list(ledger.iter_rows(values_only=True))[-1]
    assert last[0] == T.XLSX_SIGN_LINE and "制表人" in last[0] and "审核人" in last[0] and "日期" in last[0]
    for ws in wb.worksheets[:3]:  # the ledger, the statistics and the campaigns print the same way
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape", ws.title
        assert ws.print_title_rows == "$2:$2" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    async with h.app.db.reading() as s:
        assert (await chain.verify(s)).broken is None


async def test_a_long_ledger_is_streamed_with_links_and_no_pictures(
    seeded: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = seeded
    monkeypatch.setattr(ledger_xlsx, "EMBED_ROWS", 0)  # as if the period held more than 2,000 hazards
    await h.say(ZHANG, "/hazard 位置：二车间配电室 配电箱门未关闭 7天内", files=(h.add_file(jpeg(1)),))
    out = await h.say(LI, "/export 2026", Harness.private(LI))
    ledger = load_workbook(next(s for s in out if s.reply.documents).reply.documents[0])["隐患台账"]
    assert ledger._images == [] and ledger["T3"].hyperlink is not None and ledger["B3"].value == "YH-2026-0001"
