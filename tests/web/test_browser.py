"""The web desk in a real browser: Debian's Chromium driven by Selenium (`make browser` installs both).

The bot runs on the fake Telegram Bot API with the desk served beside it, as `safetybot run` does. A manager
signs in through the link the bot sent in the chat, opens the ledger and a hazard (its photos load), accepts
the fix with the form (the chat's card is edited), and prints the ledger to PDF (A4 landscape, counted
pages). Every wait is on a condition (WebDriverWait, `tg.wait_for`); a screenshot is kept in the test's
tmp dir.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace
from sqlalchemy import select

from bot.app import build_desk
from bot.clock import ManualClock
from bot.config import WebSettings
from bot.web.server import WebServer
from domain.codes import issue_code
from storage.enums import HazardStatus, Level, Source
from storage.models import Enterprise, Hazard, Person
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import ADMIN_ID, jpeg, make_settings, running_app, telegram_adapter

pytestmark = pytest.mark.e2e

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
LI_ID, ZHANG_ID = 2, 3
TITLE = "隐患 YH-2026-0001"
LINK_RE = re.compile(r"(http://\S+/login/[A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def browser() -> Iterator[Any]:
    """Yield a headless Chromium under Selenium, with Debian's own driver (nothing downloaded)."""
    if not CHROMEDRIVER.exists() or not CHROMIUM.exists():
        pytest.skip("Chromium and its driver are not installed: run `make browser`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-proxy-server",
                "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def caption(tg: FakeTelegram, chat_id: int, title: str) -> str:
    """Return the current caption of the hazard's card in a chat ("" if none)."""
    for m in tg.sent_messages(chat_id):
        text = m.get("caption") or m.get("text") or ""
        if title in text and "photo" in m:
            return str(text)
    return ""


async def add_ledger_rows(app: Any, count: int, clock: ManualClock) -> None:
    """Add older closed hazards to the ledger (enough rows for a printout of several pages)."""
    now = clock.now()
    async with app.db.unit_of_work() as s:
        enterprise = await s.scalar(select(Enterprise))
        reporter = await s.scalar(select(Person).where(Person.external_id == str(ZHANG_ID)))
        for i in range(count):
            found = now - timedelta(days=30 + i)
            s.add(Hazard(
                code=await issue_code(s, "YH", found.year), enterprise_id=enterprise.id,
                description=f"第{i + 1}处：消防器材检查记录不全，灭火器压力不足，需更换并补全记录", location="仓库",
                category="fire", level=Level.GENERAL, mode=None, due_date=None, status=HazardStatus.CLOSED,
                source=Source.SNAPSHOT, five_in_place={}, reporter_id=reporter.id, found_at=found,
                created_at=found, updated_at=found, closed_at=found + timedelta(days=2),
            ))


async def test_a_manager_signs_in_reviews_accepts_and_prints(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as tg:
        settings = make_settings(
            sqlite_url, tmp_path, token=TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url, poll_timeout="1"
        )
        settings = replace(settings, web=WebSettings(listen=f"127.0.0.1:{port}", base_url=base))
        async with running_app(settings, clock, telegram_adapter) as (app, _):
            server = WebServer(build_desk(app))
            await server.start()
            try:
                admin, li, zhang = tg.user(ADMIN_ID, "王主任", "wang"), tg.user(LI_ID, "李干部", "li"), tg.user(ZHANG_ID, "张伟", "zhang")
                group = tg.group()

                async def say(user: dict[str, Any], chat: dict[str, Any], text: str, expect: str) -> str:
                    before = len(tg.sent_messages(chat["id"]))
                    tg.send_text(user, chat, text)
                    await tg.wait_for(lambda: any(expect in (m.get("text") or "") for m in tg.sent_messages(chat["id"])[before:]))
                    return next(m.get("text") for m in tg.sent_messages(chat["id"])[before:] if expect in (m.get("text") or ""))

                await say(admin, tg.private(admin), "/start", "王主任")
                await say(admin, group, "/setgroup", "设为园区安全群")
                await say(admin, group, "/enterprise_add 华油装备制造有限公司 华油", "已添加企业")
                await say(li, tg.private(li), "/start", "李干部")
                await say(zhang, group, "/whoami", "身份")
                await say(admin, group, "/role li 干部", "设为包片干部")
                await say(admin, group, "/role zhang 负责人 华油", "设为安全负责人")
                tg.send_photo(zhang, group, jpeg(1, (640, 480)), caption="/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日")
                await tg.wait_for(lambda: "状态：整改中" in caption(tg, group["id"], TITLE))
                card = next(m for m in tg.sent_messages(group["id"]) if TITLE in (m.get("caption") or ""))
                tg.send_photo(zhang, group, jpeg(2, (640, 480)), caption="/fix 已加锁并张贴警示标识", reply_to=card["message_id"])
                await tg.wait_for(lambda: "状态：待验收" in caption(tg, group["id"], TITLE))
                await add_ledger_rows(app, 30, clock)

                # --- 1. The manager asks for a link in the private chat and opens it in the browser.
                said = await say(li, tg.private(li), "/web", "/login/")
                match = LINK_RE.search(said)
                assert match, said
                link = match.group(1)

                def sign_in_and_review() -> dict[str, Any]:
                    wait = WebDriverWait(browser, 20)
                    browser.get(link)
                    wait.until(ec.element_to_be_clickable((By.ID, "login"))).click()
                    wait.until(ec.presence_of_element_located((By.ID, "found")))
                    browser.get(f"{base}/hazards?status=awaiting_verification")
                    wait.until(ec.presence_of_element_located((By.LINK_TEXT, "YH-2026-0001"))).click()
                    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "img.photo")))
                    wait.until(lambda d: d.execute_script(
                        "const i=[...document.images];return i.length>=2&&i.every(x=>x.complete&&x.naturalWidth>0)"))
                    loaded = browser.execute_script("return [...document.images].map(x=>x.naturalWidth)")
                    browser.save_screenshot(str(tmp_path / "hazard.png"))
                    browser.set_window_size(390, 844)  # a phone: nothing wider than the screen
                    wait.until(lambda d: d.execute_script("return window.innerWidth") <= 400)
                    wide = browser.execute_script(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                    browser.save_screenshot(str(tmp_path / "hazard-phone.png"))
                    browser.set_window_size(1280, 900)
                    browser.find_element(By.ID, "accept").click()
                    wait.until(ec.text_to_be_present_in_element((By.ID, "said"), "验收通过"))
                    return {"widths": loaded, "title": browser.title, "wide": wide}

                seen = await asyncio.to_thread(sign_in_and_review)
                assert all(w > 0 for w in seen["widths"]) and len(seen["widths"]) >= 2
                assert "YH-2026-0001" in seen["title"] and seen["wide"] <= 0, seen
                assert (tmp_path / "hazard.png").stat().st_size > 10_000

                # --- 2. The chat card was edited as if the button had been pressed.
                await tg.wait_for(lambda: "状态：已销号" in caption(tg, group["id"], TITLE))

                # --- 3. The ledger printed: A4 landscape, several pages for 31 rows with thumbnails.
                def print_ledger() -> bytes:
                    wait = WebDriverWait(browser, 20)
                    browser.get(f"{base}/hazards")
                    wait.until(lambda d: d.execute_script(
                        "return [...document.images].every(x=>x.complete)"))
                    browser.save_screenshot(str(tmp_path / "ledger.png"))
                    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
                    return base64.b64decode(pdf["data"])

                pdf = await asyncio.to_thread(print_ledger)
                (tmp_path / "ledger.pdf").write_bytes(pdf)
                pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
                assert 2 <= pages <= 6, pages
                box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
                assert box is not None and float(box.group(1)) > float(box.group(2))  # landscape
                assert abs(float(box.group(1)) - 841.9) < 2  # A4: 297 mm wide
            finally:
                await server.stop()
    assert not tg.server_errors, tg.summary()
