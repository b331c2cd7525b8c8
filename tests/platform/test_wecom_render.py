"""WeCom payloads as pure functions: media decryption, reading pushes, template cards within WeCom's limits,
markdown split by bytes; and the markdown fallback (template_cards = false) end to end."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.wecom_payloads import (
    MARKDOWN_BYTES,
    BadMedia,
    decrypt,
    encrypt,
    malformed,
    markdown_parts,
    template_card,
    to_incoming,
)
from bot.clock import ManualClock
from bot.messages import Button, Card, CardField, CardStatus
from tests.harness import jpeg
from tests.wecom_live import WC_ADMIN_ID, running_wecom_bot

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_media_decrypts_byte_exact_and_a_wrong_key_is_refused() -> None:
    key = base64.b64encode(os.urandom(32)).decode().rstrip("=")  # WeCom's aeskey comes without padding
    for data in (jpeg(1), b"x" * 32, b"y"):
        assert decrypt(encrypt(data, key), key) == data
    # Fixed keys for the wrong-key case: CBC without a MAC tells a wrong key only by the padding, which a
    # random wrong key leaves valid about once in 255 tries (the picture is then refused as broken).
    key = base64.b64encode(bytes(range(32))).decode().rstrip("=")
    other = base64.b64encode(bytes(range(1, 33))).decode()
    with pytest.raises(BadMedia):
        decrypt(encrypt(jpeg(2), key), other)
    with pytest.raises(BadMedia):
        decrypt(b"short", key)


def test_a_group_mixed_message_loses_its_mention_and_keeps_its_picture() -> None:
    body = {
        "msgid": "m1", "chattype": "group", "chatid": "wrG1", "from": {"userid": "ZhangWei"},
        "create_time": int(NOW.timestamp()), "msgtype": "mixed",
        "mixed": {"msg_item": [
            {"msgtype": "text", "text": {"content": "@安全助手 /hazard 配电箱门未关"}},
            {"msgtype": "image", "image": {"url": "https://x/1", "aeskey": "K"}},
        ]},
    }  # fmt: skip
    keys: dict[str, str] = {}
    msg = to_incoming(body, "wecom:m1", NOW, keys)
    assert msg.text == "/hazard 配电箱门未关" and msg.command == "hazard"
    assert msg.chat.key == "wecom:wrG1" and msg.chat.is_group and msg.sender.key == "wecom:ZhangWei"
    assert [f.file_id for f in msg.files] == ["https://x/1"] and keys == {"https://x/1": "K"}
    single = to_incoming({**body, "chattype": "single", "msgtype": "text", "text": {"content": "/start"}},
                         "wecom:m2", NOW, keys)
    assert single.chat.key == "wecom:u:ZhangWei" and not single.chat.is_group
    pdf = to_incoming({**body, "chattype": "single", "msgtype": "file",
                       "file": {"url": "https://x/2", "aeskey": "K2", "filename": "检测报告.pdf", "file_size": 1234}},
                      "wecom:m3", NOW, keys)
    (ref,) = pdf.files
    assert (ref.kind, ref.file_name, ref.size, ref.says_pdf) == ("document", "检测报告.pdf", 1234, True)
    assert malformed("aibot_msg_callback", {"msgid": "m", "from": {}}) == "from.userid missing"
    assert malformed("aibot_msg_callback", {**body, "chatid": ""}) == "chatid missing"
    assert malformed("aibot_msg_callback", body) is None


def test_template_card_keeps_within_wecom_limits() -> None:
    buttons = tuple(Button(f"按钮{i}号很长的名字", f"hz:{i}:x", f"/cmd{i}") for i in range(8))
    card = Card(
        key="hazard:1", kind="hazard", title="隐患 YH-2026-0001 一个很长很长很长很长很长很长的标题",
        fields=tuple(CardField(f"k{i}", f"字段名称{i}号", "值" * 40) for i in range(8)),
        status=CardStatus("rectifying", "整改中", "状态"), actions=(buttons,),
    )
    body = template_card(card, "sb1")
    assert len(body["button_list"]) == 6 and all(len(b["text"]) <= 10 for b in body["button_list"])
    assert [b["key"] for b in body["button_list"]] == [f"hz:{i}:x" for i in range(6)]
    assert len(body["horizontal_content_list"]) == 6 and len(body["main_title"]["title"]) <= 26
    assert len(body["sub_title_text"]) <= 112 and body["sub_title_text"].startswith("字段名称6号：")
    assert all(len(p["value"]) <= 26 and len(p["keyname"]) <= 5 for p in body["horizontal_content_list"])
    parts = markdown_parts("第一行\n" + "很长的内容" * 2000)
    assert len(parts) > 1 and all(len(p.encode()) <= MARKDOWN_BYTES for p in parts)


@pytest.mark.e2e
async def test_markdown_fallback_spells_out_the_commands(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> None:
    async with running_wecom_bot(sqlite_url, tmp_path, clock, template_cards=False) as bot:
        wc = bot.wc
        admin = wc.user(WC_ADMIN_ID, "王主任")
        zhang = wc.user("ZhangWei", "张伟")
        group = wc.group()
        await bot.say(admin, group, "/setgroup")
        await bot.say(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
        await bot.say(zhang, None, "/start")
        await bot.say(admin, group, "/role ZhangWei 负责人 华油")
        wc.send_image(zhang, group, jpeg(1), "/hazard 二车间配电箱门未关闭 限期 12月10日")
        await wc.wait_for(lambda: any("### 隐患 YH-2026-0001" in t for t in wc.texts(group)))
        text = next(t for t in wc.texts(group) if "### 隐患 YH-2026-0001" in t)
        assert "/fix YH-2026-0001" in text and "**状态**：整改中" in text
        assert wc.card_posts(group) == [] and wc.of("aibot_respond_update_msg") == []


@pytest.mark.e2e
async def test_picture_limits_are_the_same_as_elsewhere(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> None:
    async with running_wecom_bot(sqlite_url, tmp_path, clock) as bot:
        wc = bot.wc
        admin = wc.user(WC_ADMIN_ID, "王主任")
        await bot.say(admin, None, "/start")
        bot.app.settings.storage.max_photo_bytes = 100_000
        bot.app.settings.storage.max_pixels = 1000
        wc.send_image(admin, None, os.urandom(300_000))  # bigger than the limit: refused before decrypting
        await wc.wait_for(lambda: any("图片太大" in t for t in bot.texts(admin)))
        wc.send_image(admin, None, jpeg(2, (64, 48)))  # 3,072 pixels: over the (lowered) pixel limit
        await wc.wait_for(lambda: len(bot.texts(admin)) >= 3)
        assert "64×48" in bot.texts(admin)[2] or "64 × 48" in bot.texts(admin)[2], bot.texts(admin)
