"""DingTalk payloads in and card parameters out, without a server: mentions, pictures, ids, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.dingtalk_payloads import (
    BUTTON_SLOTS,
    PARAM_LIMIT,
    card_markdown,
    card_params,
    fields_of,
    pressed_value,
    to_incoming,
)
from bot.adapters.shared import split_text
from bot.messages import Button, Card, CardField, CardStatus
from tests.harness import hazard_card

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
CID = "cidQ8w+Zk3/Vn5Ts0aP9x2Lm=="


def test_rich_text_from_a_group_loses_the_mention_and_keeps_pictures_and_ids() -> None:
    data = {
        "conversationId": CID,
        "conversationType": "2",
        "conversationTitle": "园区安全生产群",
        "msgId": "msgA1+/b==",
        "senderStaffId": "0012345",
        "senderNick": "张伟",
        "createAt": 1796000000000,
        "msgtype": "richText",
        "content": {
            "richText": [
                {"text": "@安全助手 /fix YH-2026-0007 已加锁"},
                {"type": "picture", "downloadCode": "dl+/1=="},
                {"text": "并张贴警示标识"},
                {"type": "picture", "downloadCode": "dl+/2=="},
            ]
        },
    }
    msg = to_incoming(data, "dingtalk:msgA1+/b==", NOW)
    assert msg.text == "/fix YH-2026-0007 已加锁\n并张贴警示标识"
    assert msg.command == "fix" and msg.args.startswith("YH-2026-0007")
    assert [f.file_id for f in msg.files] == ["dl+/1==", "dl+/2=="]
    assert msg.sender.user_id == "0012345" and msg.sender.key == "dingtalk:0012345"
    assert msg.chat.chat_id == CID and msg.chat.is_group and msg.chat.key == f"dingtalk:{CID}"
    assert msg.addressed and msg.reply_to_message_id is None
    assert msg.sent_at == datetime.fromtimestamp(1796000000, UTC)


def test_text_mention_is_already_gone_and_a_private_chat_is_named_after_the_person() -> None:
    group = to_incoming(
        {"conversationType": "2", "conversationId": CID, "senderStaffId": "7", "msgtype": "text",
         "text": {"content": " /whoami"}}, "k1", NOW)  # fmt: skip
    assert group.text == "/whoami" and group.command == "whoami"
    private = to_incoming(
        {"conversationType": "1", "conversationId": "cidPrivate==", "senderStaffId": "0100001",
         "msgtype": "text", "text": {"content": "警示标识不清晰"}}, "k2", NOW)  # fmt: skip
    assert private.chat.chat_id == "u:0100001" and not private.chat.is_group
    assert private.text == "警示标识不清晰" and private.addressed
    picture = to_incoming(
        {
            "conversationType": "1",
            "senderStaffId": "9",
            "msgtype": "picture",
            "content": {"downloadCode": "x"},
        },
        "k3",
        NOW,
    )
    assert picture.text == "" and [f.kind for f in picture.files] == ["photo"]
    pdf = to_incoming(
        {"conversationType": "1", "senderStaffId": "9", "msgtype": "file",
         "content": {"downloadCode": "y", "fileName": "检测报告.pdf"}}, "k4", NOW)  # fmt: skip
    assert pdf.files[0].kind == "document" and pdf.files[0].says_pdf


def test_pressed_value_is_read_strictly() -> None:
    content = json.dumps({"cardPrivateData": {"actionIds": ["a"], "params": {"value": "hzok:1"}}})
    assert pressed_value({"content": content}) == "hzok:1"
    assert pressed_value({"content": "not json"}) == ""
    assert pressed_value({"content": json.dumps({"cardPrivateData": {"params": {"value": 5}}})}) == ""
    assert pressed_value({}) == ""


def test_card_params_fit_the_template() -> None:
    card = hazard_card(
        CardField("description", "描述", "配电箱" * 800),
        CardField("enterprise", "企业", "华油装备制造有限公司"),
        status=CardStatus("rectifying", "整改中", "状态"),
        actions=(tuple(Button(f"按钮{i}", f"hzx:{i}", f"/cmd{i} YH-2026-0001") for i in range(8)),),
    )
    params = card_params(card, "@lAmedia")
    assert all(isinstance(v, str) and len(v) <= PARAM_LIMIT for v in params.values())
    assert params["status"] == "整改中" and params["photo"] == "@lAmedia"
    assert "**企业**：华油装备制造有限公司" in params["body"] and "…" in params["body"]  # cut, not dropped
    assert [params[f"btn{i}_text"] for i in range(1, BUTTON_SLOTS + 1)] == [f"按钮{i}" for i in range(6)]
    assert params["btn6_value"] == "hzx:5"
    assert "/cmd6 YH-2026-0001" in params["body"] and "/cmd7 YH-2026-0001" in params["body"]
    short = card_markdown(card, short=True)
    assert "整改中" in short and "配电箱" not in short
    closed = card_params(
        Card("hazard:1", "hazard", "隐患", status=CardStatus("closed", "已销号", "状态")), ""
    )
    assert all(closed[f"btn{i}_text"] == "" for i in range(1, BUTTON_SLOTS + 1))


def test_long_text_is_split_never_cut() -> None:
    text = "\n".join(f"第{i}行" + "字" * 50 for i in range(200))
    parts = split_text(text, 3000)
    assert all(len(p) <= 3000 for p in parts) and "\n".join(parts) == text


def test_shipped_card_template_declares_exactly_the_parameters_the_adapter_sends() -> None:
    template = json.loads((ROOT / "docs" / "dingtalk" / "card_template.json").read_text(encoding="utf-8"))
    declared = {v["name"] for v in template["variables"]}
    sent = set(card_params(Card("k", "hazard", "t"), "").keys())
    assert declared == sent
    buttons = template["layout"][-1]["buttons"]
    assert [b["action"]["params"]["value"] for b in buttons] == [f"${{btn{i}_value}}" for i in range(1, 7)]


async def test_monthly_count_adds_up_and_warns_once_per_month(any_db_url: str) -> None:
    from storage import dingtalk as rows
    from storage.db import Database

    db = Database(any_db_url)
    try:
        seen = []
        for n in (3, 4, 2, 5):  # 3, 7, 9, 14 with the warning at 8
            async with db.unit_of_work() as session:
                seen.append(await rows.add_calls(session, "2026-11", n, 8, NOW))
        assert [(c.calls, c.warn) for c in seen] == [(3, False), (7, False), (9, True), (14, False)]
        async with db.unit_of_work() as session:
            december = await rows.add_calls(session, "2026-12", 9, 8, NOW)  # a new month warns again
            assert december.warn and await rows.calls_in(session, "2026-11") == 14
            await rows.record_card(session, "out1", "cid+/x==", NOW)
            await rows.record_card(session, "out1", "cid+/x==", NOW)  # recorded once
            assert (
                await rows.card_chat(session, "out1") == "cid+/x=="
                and await rows.card_chat(session, "nope") is None
            )
    finally:
        await db.dispose()


def test_short_markdown_update_shows_what_changed() -> None:
    def notice(answered: int) -> Card:
        return Card(
            "notice:1",
            "notice",
            "会议通知 HY-2026-01",
            fields=(
                CardField("title", "主题", "12月安全生产例会"),
                CardField("receipts", "回执", f"已回执 {answered}/4"),
                CardField("leave", "请假", "0 家"),
            ),
            status=CardStatus("open", "收集回执中", "状态"),
        )

    short = card_markdown(notice(1), short=True, shown=fields_of(notice(0)))
    assert "**回执**：已回执 1/4" in short and "收集回执中" in short
    assert "主题" not in short and "请假" not in short  # unchanged fields are not repeated
    assert "已回执" not in card_markdown(notice(1), short=True)  # nothing known: title, status, actions
