"""A bot running on the fake WeCom long-connection server (`tests/fake_wecom.py`), for the WeCom tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.wecom import WeComAdapter
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from tests.fake_wecom import BOT_ID, SECRET, FakeWeCom, Group, User
from tests.harness import running_app

WC_ADMIN_ID = "WangZhuRen"  # a WeCom userid is the account name the admin console shows


def make_wecom_settings(db_url: str, tmp_path: Path, wc: FakeWeCom, *, template_cards: bool = True) -> Settings:
    """Build settings for a WeCom test: its own database and photos, the fake's address, one admin."""
    return load_settings(
        None,
        {
            "park": {"name": "测试园区"},
            "access": {"admins": [f"wecom:{WC_ADMIN_ID}"]},
            "database": {"url": db_url},
            "storage": {"photo_dir": str(tmp_path / "photos")},
            "wecom": {"bot_id": BOT_ID, "secret": SECRET, "ws_url": wc.ws_url, "template_cards": template_cards},
        },
    )


@dataclass
class LiveWeCom:
    """A bot running on the fake WeCom server."""

    wc: FakeWeCom
    app: App
    adapter: WeComAdapter

    def texts(self, where: Group | User) -> list[str]:
        """Return what the bot sent to a group or privately to a person (cards as their text), oldest first."""
        return self.wc.texts(where)

    async def say(self, user: User, chat: Group | None, text: str) -> str:
        """Send ``text`` as ``user`` (in a group with the @-mention, or privately); return the next answer there."""
        where: Group | User = chat if chat is not None else user
        before = len(self.texts(where))
        self.wc.send_text(user, chat, text)
        await self.wc.wait_for(lambda: len(self.texts(where)) > before)
        return self.texts(where)[before]


@asynccontextmanager
async def running_wecom_bot(
    db_url: str, tmp_path: Path, clock: ManualClock, *, template_cards: bool = True, heartbeat: float = 30.0
) -> AsyncIterator[LiveWeCom]:
    """Start the fake WeCom, build and prepare the app, and run the real WeCom adapter on it."""
    async with FakeWeCom() as wc:
        settings = make_wecom_settings(db_url, tmp_path, wc, template_cards=template_cards)

        def adapter(app: App) -> WeComAdapter:
            made = WeComAdapter(settings.wecom, app.dispatcher, app.inbox)
            made.rate_wait = 0.2  # seconds after "too fast", so a test does not wait the real 20 s
            made.offline_wait = 0.2
            made.link.kicked_wait = 0.3
            made.link.heartbeat = heartbeat
            return made

        async with running_app(settings, clock, adapter) as (app, running):
            await wc.wait_for(lambda: wc.connections > 0)
            yield LiveWeCom(wc, app, running)
    assert not wc.server_errors, wc.summary()
