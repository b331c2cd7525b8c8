"""Managers' lists and search (/hazards filters and pages, /search) and the Chinese command aliases."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.messages import Incoming
from tests.harness import GROUP, LI, ZHANG, Harness, Sent, card_of, jpeg, seed


def incoming(text: str) -> Incoming:
    """Return a message with this text, for parsing tests."""
    return Incoming("k", ZHANG, GROUP, text, datetime(2026, 11, 30, tzinfo=UTC))


async def report(h: Harness, who: object, text: str, seed_: int) -> Sent:
    """Report a hazard with one photo and return its card."""
    out = await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(seed_)),))  # type: ignore[arg-type]
    return card_of(out)


def test_chinese_aliases_full_width_slash_and_ime_comma() -> None:
    cases = {
        "/隐患 配电箱门未关": ("hazard", "配电箱门未关"),
        "/隐患配电箱门未关": ("hazard", "配电箱门未关"),
        "/隐患列表 逾期": ("hazards", "逾期"),
        "/整改 YH-2026-1 已加锁": ("fix", "YH-2026-1 已加锁"),
        "/验收 YH-2026-1": ("accept", "YH-2026-1"),
        "/驳回 YH-2026-1 照片不清": ("reject", "YH-2026-1 照片不清"),
        "/帮助": ("help", ""),
        "、hazard 配电箱": ("hazard", "配电箱"),
        "／fix 已加锁": ("fix", "已加锁"),
        "、隐患列表": ("hazards", ""),
        "/hazards@safety_bot 逾期": ("hazards", "逾期"),
        "／Fix@safety_bot 已加锁": ("fix", "已加锁"),
    }
    for text, (command, args) in cases.items():
        msg = incoming(text)
        assert (msg.command, msg.args) == (command, args), text
    for text in ("隐患 配电箱", "配电箱、hazard", "/ hazard", "、、"):
        assert incoming(text).command is None, text


async def test_aliases_reach_the_handlers_and_help_lists_them(harness: Harness) -> None:
    h = harness
    await seed(h)
    private = h.private(ZHANG)
    card = card_of(
        await h.say(ZHANG, "／隐患 配电箱门未关闭 限期 12月10日", private, files=(h.add_file(jpeg(1)),))
    )
    assert card.card is not None and card.card.title == "隐患 YH-2026-0001"
    assert "共 1 条" in h.texts(await h.say(ZHANG, "、隐患列表", private))
    help_text = h.texts(await h.say(LI, "/帮助", h.private(LI)))
    for alias in ("/隐患", "/整改", "/验收", "/驳回", "/隐患列表", "/帮助"):
        assert alias in help_text
