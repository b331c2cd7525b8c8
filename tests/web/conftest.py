"""The web desk under the aiohttp test client: a seeded park, the desk app on its database, sign-in helpers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from msgspec.structs import replace

from bot.app import build_desk
from bot.clock import ManualClock
from bot.config import WebSettings
from bot.messages import Sender
from bot.web.app import make_app
from tests.harness import ZHANG, ZHAO, Harness, jpeg, make_settings, seed

BASE_URL = "http://desk.test"
LINK_RE = re.compile(r"/login/([A-Za-z0-9_-]+)")
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class DeskTest:
    """A seeded park with a hazard awaiting verification, and a browser-like client per test."""

    h: Harness
    client: TestClient

    async def link(self, who: Sender) -> str:
        """Ask the bot for a sign-in link in a private chat; return its secret."""
        out = await self.h.say(who, "/web", self.h.private(who))
        match = LINK_RE.search(self.h.texts(out))
        assert match, self.h.texts(out)
        return match.group(1)

    async def sign_in(self, who: Sender) -> None:
        """Sign in as a person through a link the bot sent."""
        token = await self.link(who)
        response = await self.client.post(f"/login/{token}", allow_redirects=False)
        assert response.status == 303, await response.text()

    async def page(self, path: str, status: int = 200) -> str:
        """Return the HTML of a page, checking its status."""
        response = await self.client.get(path, allow_redirects=False)
        text = await response.text()
        assert response.status == status, text
        return text

    async def csrf(self, path: str) -> str:
        """Return the CSRF token a page's forms carry."""
        match = CSRF_RE.search(await self.page(path))
        assert match
        return match.group(1)


async def awaiting_verification(h: Harness) -> None:
    """Seed the park and bring YH-2026-0001 (华油, found by 赵工) to awaiting verification with after-photos."""
    await seed(h)
    await h.say(ZHAO, "/hazard 华油 二车间配电箱门未关闭", files=(h.add_file(jpeg(1)),))
    await h.say(ZHAO, "/due YH-2026-1 3天内")
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))


@pytest.fixture
async def desk(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[DeskTest]:
    """Yield the desk on a seeded park whose hazard YH-2026-0001 awaits verification."""
    settings = make_settings(sqlite_url, tmp_path)
    settings = replace(settings, web=WebSettings(listen="127.0.0.1:0", base_url=BASE_URL))
    h = await Harness.create(settings, clock)
    try:
        await awaiting_verification(h)
        client = TestClient(TestServer(make_app(build_desk(h.app))))
        await client.start_server()
        try:
            yield DeskTest(h, client)
        finally:
            await client.close()
    finally:
        await h.close()
