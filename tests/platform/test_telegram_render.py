"""Telegram rendering rules that the fake server cannot judge alone: caption budgets, addressing, upload sizes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from bot.adapters.shared import addressed_text
from bot.adapters.telegram import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    photo_for_upload,
    render_card_html,
    split_text,
)
from bot.messages import Card, CardField, CardStatus
from tests.harness import hazard_card


def test_long_card_keeps_title_and_status_and_whole_tags() -> None:
    card = hazard_card(
        CardField("enterprise", "企业", "华油装备制造有限公司"),
        CardField("description", "描述", "配电箱<门>未关闭&" * 60),
        CardField("fix", "整改情况", "已加锁" * 400),
        status=CardStatus("awaiting_verification", "待验收", "状态"),
    )
    text = render_card_html(card, CAPTION_LIMIT)
    visible = re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert len(visible.encode("utf-16-le")) // 2 <= CAPTION_LIMIT
    assert text.startswith("<b>隐患 YH-2026-0001</b>\n状态：<b>待验收</b>\n企业：华油装备制造有限公司")
    assert text.count("<b>") == text.count("</b>") == 2 and "…" in text
    assert "&lt;门&gt;" in text  # user text is escaped, never taken for markup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/fix 已加锁", "/fix 已加锁"),
        ("/fix@safety_bot 已加锁", "/fix 已加锁"),
        ("/fix@Safety_Bot\n已加锁", "/fix\n已加锁"),
        ("/hazard@safety_bot\u3000配电箱", "/hazard\u3000配电箱"),
        ("/start@other_bot", None),
        ("/start@other_bot 你好", None),
        ("普通消息 @safety_bot", "普通消息 @safety_bot"),
    ],
)
def test_commands_addressed_to_us_or_others(text: str, expected: str | None) -> None:
    assert addressed_text(text, "safety_bot") == expected


def test_oversized_original_is_downscaled_for_upload(tmp_path: Path) -> None:
    big = tmp_path / "big.png"  # width + height over Telegram's 10000 would be refused by sendPhoto
    Image.new("RGB", (8000, 2400), (200, 30, 30)).save(big, format="PNG")
    data = photo_for_upload(big)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and max(img.size) == 2560
    small = tmp_path / "small.jpg"
    Image.new("RGB", (640, 480)).save(small, format="JPEG")
    assert photo_for_upload(small) == small.read_bytes()


def test_rendering_always_ends_even_when_nothing_can_be_shortened() -> None:
    card = Card(
        key="x:1",
        kind="x",
        title="长" * 1100,
        fields=tuple(CardField(f"f{i}", f"字段{i}", "值" * 21) for i in range(40)),
        status=CardStatus("awaiting_verification", "待验收", "状态"),
    )
    text = render_card_html(card, CAPTION_LIMIT)
    assert text.startswith("<b>") and "状态：<b>待验收</b>" in text


@pytest.mark.parametrize(("size", "fmt"), [((400, 9000), "PNG"), ((9000, 300), "PNG"), ((300, 200), "GIF")])
def test_uploads_are_shapes_and_formats_telegram_accepts(
    tmp_path: Path, size: tuple[int, int], fmt: str
) -> None:
    path = tmp_path / f"p.{fmt.lower()}"
    Image.new("RGB", size, (10, 120, 200)).save(path, format=fmt)
    with Image.open(io.BytesIO(photo_for_upload(path))) as img:
        w, h = img.size
        assert img.format == "JPEG" and w + h <= 10000 and max(w, h) <= 20 * min(w, h)


@pytest.mark.parametrize(
    "text",
    [
        "处理记录：\n"
        + "\n".join(f"2026-11-30 09:{i % 60:02d} 张伟 补充照片：{'🔥' * 30}" for i in range(200)),
        "🔥" * 5000,  # one line of 10000 UTF-16 units
        "短消息",
    ],
)
def test_long_text_is_split_by_telegram_measure_and_nothing_is_lost(text: str) -> None:
    parts = split_text(text, TEXT_LIMIT)
    assert all(len(p.encode("utf-16-le")) // 2 <= TEXT_LIMIT for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
