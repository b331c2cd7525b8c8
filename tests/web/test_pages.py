"""The desk's other pages: the overview, notices with their receipts and the reminder, the campaign matrix,
the year's summary and the Excel export; each for a manager and for a lead (their enterprise only)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.web.common import DESK
from storage.models import AuditEntry
from tests.harness import LI, LIU, ZHANG, Harness
from tests.web.conftest import BASE_URL, DeskTest


async def meeting(h: Harness) -> str:
    out = await h.say(LI, "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会")
    match = re.search(r"HY-\d{4}-\d+", h.texts(out) + "".join(s.card.title + str(s.card.fields) for s in out if s.card))
    assert match, h.texts(out)
    return match.group(0)


async def test_the_overview_shows_the_week_and_what_waits(desk: DeskTest) -> None:
    await desk.sign_in(LI)
    page = await desk.page("/")
    assert re.search(r'id="found">1<', page) and "等我验收（1）" in page and "YH-2026-0001" in page
    assert "近 " in page and "周" in page  # the trend, for park staff
    desk.client.session.cookie_jar.clear()
    await desk.sign_in(LIU)  # 宏达: nothing of 华油's
    page = await desk.page("/")
    assert re.search(r'id="found">0<', page) and "YH-2026-0001" not in page and "等本企业整改（0）" in page


async def test_notice_receipts_and_the_reminder(desk: DeskTest) -> None:
    h = desk.h
    code = await meeting(h)
    await h.say(ZHANG, f"/confirm {code}")
    await desk.sign_in(LI)
    listing = await desk.page("/notices")
    assert code in listing and "1/2" in listing
    page = await desk.page(f"/notices/{code}")
    assert "华油装备制造有限公司" in page and "收到" in page and "张伟" in page and "未回执" in page
    assert 'id="remind"' in page
    csrf = await desk.csrf(f"/notices/{code}")
    assert (await desk.client.post(f"/notices/{code}/remind", data={})).status == 403  # no CSRF token
    before = len(h.adapter.sent)
    response = await desk.client.post(f"/notices/{code}/remind", data={"csrf": csrf})
    assert response.status == 200 and 'id="said"' in await response.text()
    await h.app.sender.settle()
    reminded = [s for s in h.adapter.sent[before:] if s.chat == h.private(LIU)]
    assert reminded and code in (reminded[0].reply.text or "")
    async with h.app.db.reading() as s:
        assert await s.scalar(select(AuditEntry).where(AuditEntry.action == "web.remind"))
    desk.client.session.cookie_jar.clear()
    await desk.sign_in(LIU)
    page = await desk.page(f"/notices/{code}")
    assert "宏达机械有限公司" in page and "华油装备制造有限公司" not in page and 'id="remind"' not in page
    response = await desk.client.post(f"/notices/{code}/remind", data={"csrf": await desk.csrf("/")})
    assert response.status == 403
    assert "没有通知" in await desk.page("/notices/HY-2026-0099", 404)


async def test_the_campaign_matrix(desk: DeskTest) -> None:
    h = desk.h
    out = await h.say(LI, "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施")
    assert "ZX-" in h.texts(out) + "".join(s.card.title for s in out if s.card)
    await h.say(ZHANG, "/report 已完成消防设施全面自查，更换灭火器 12 具")
    await desk.sign_in(LI)
    page = await desk.page("/campaigns")
    assert "消防安全百日攻坚" in page and "华油装备制造有限公司" in page and "宏达机械有限公司" in page
    assert "待审核" in page and "更换灭火器 12 具" in page and "未提交" in page
    desk.client.session.cookie_jar.clear()
    await desk.sign_in(LIU)
    page = await desk.page("/campaigns")
    assert "宏达机械有限公司" in page and "华油装备制造有限公司" not in page


async def test_summary_and_export_are_for_managers(desk: DeskTest) -> None:
    await desk.sign_in(LI)
    page = await desk.page("/summary?year=2026")
    assert re.search(r'id="found">1 项', page) and "制表人" in page
    assert "年份格式" in await desk.page("/summary?year=二〇二六", 400)
    response = await desk.client.get("/export?year=2026")
    assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await response.read()))
    sheet = book.worksheets[0]
    links = [c.hyperlink.target for row in sheet.iter_rows() for c in row if c.hyperlink is not None]
    assert f"{BASE_URL}/hazards/YH-2026-0001" in links  # the photos open on the desk, not file:// paths
    desk.client.session.cookie_jar.clear()
    await desk.sign_in(ZHANG)
    assert "只供管委会管理人员" in await desk.page("/summary", 403)
    assert (await desk.client.get("/export?year=2026")).status == 403


async def test_a_failing_page_is_said_in_chinese_and_logged(desk: DeskTest, caplog: pytest.LogCaptureFixture) -> None:
    await desk.sign_in(LI)

    async def broken(year: int) -> tuple[Path, str]:
        raise RuntimeError("disk gone")

    desk.client.server.app[DESK].export = broken
    response = await desk.client.get("/export?year=2026")
    assert response.status == 500 and "页面出错了" in await response.text()
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "disk gone" in caplog.text
