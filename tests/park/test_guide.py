"""The user guide (docs/guide.md, issue 18 item 18): it names every command the bot has, and says how the
bot is used on DingTalk (@安全助手, cards, what differs from Telegram)."""

from __future__ import annotations

from pathlib import Path

from bot.app import routers
from bot.messages import COMMAND_ALIASES

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"


def test_the_guide_names_every_command_and_chinese_name() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    names = {name for router in routers() for name in router.commands}
    assert sorted(n for n in names if f"/{n}" not in text) == []
    assert sorted(a for a in COMMAND_ALIASES if f"/{a}" not in text) == []


def test_the_guide_has_a_dingtalk_section() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## 12. 在钉钉上使用")
    section = text[start : text.index("\n## ", start + 1)]
    for said in ("@安全助手", "卡片", "6 个按钮", "私聊", "不需要", "写编号", "dingtalk:<userId>", "/todo"):
        assert said in section, said
