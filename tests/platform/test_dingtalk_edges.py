"""DingTalk's edges: malformed frames are acked and never handled, the gateway ticket never reaches a
log line, and a short-lived access token is fetched again at half its life, not before every call."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.adapters.dingtalk import TICKET_RE, TOPIC_ROBOT
from bot.adapters.dingtalk_payloads import malformed
from bot.adapters.shared import Redact
from bot.clock import ManualClock
from storage.models import InboxItem
from tests.harness import DT_ADMIN_ID, running_dingtalk_bot


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("notadict", "data is not an object"),
        ({"msgtype": "text", "text": "notadict", "senderStaffId": "1"}, "text is not an object"),
        (
            {"msgtype": "text", "text": {"content": "x"}, "senderStaffId": "1", "createAt": 10**18},
            "createAt out of range",
        ),
        ({"msgtype": "text", "text": {"content": "x"}, "senderStaffId": ["1"]}, "senderStaffId is not an id"),
        (
            {"msgtype": "text", "text": {"content": "x"}, "senderStaffId": "1", "conversationType": "2"},
            "conversationId missing",
        ),
        (
            {"msgtype": "text", "text": {"content": "x"}, "senderStaffId": "1", "createAt": 1764900000000},
            None,
        ),
        ({"msgtype": "text", "text": {"content": "x"}}, None),  # a contact outside the organisation: answered
    ],
)
def test_malformed_robot_frames_are_named(data: object, problem: str | None) -> None:
    assert malformed(False, data) == problem


def test_card_clicks_need_their_card_and_person() -> None:
    assert malformed(True, {"outTrackId": "t1", "userId": "u1"}) is None
    assert malformed(True, {"outTrackId": "", "userId": "u1"}) == "outTrackId missing"


def test_the_gateway_ticket_is_redacted() -> None:
    record = logging.LogRecord(
        "bot.adapters.dingtalk", logging.WARNING, __file__, 1,
        "connect failed: wss://wss-open-connection.dingtalk.com/connect?ticket=%s&x=1 (%s)", ("T-0123abc", "503"), None,
    )  # fmt: skip
    Redact("s3cret", "<secret>", (TICKET_RE,)).filter(record)
    assert "T-0123abc" not in record.getMessage() and "ticket=<secret>&x=1" in record.getMessage()


@pytest.mark.e2e
async def test_malformed_frames_are_acked_and_never_block_the_chat(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as bot:
        admin = bot.dt.user(DT_ADMIN_ID, "王主任")
        bad = [
            bot.dt._push("CALLBACK", TOPIC_ROBOT, {"msgtype": "text", "text": "notadict", "senderStaffId": DT_ADMIN_ID}),
            bot.dt._push(
                "CALLBACK", TOPIC_ROBOT,
                {"msgtype": "text", "text": {"content": "/whoami"}, "senderStaffId": DT_ADMIN_ID, "createAt": 10**18},
            ),
        ]  # fmt: skip
        await bot.dt.wait_for(lambda: all(bot.dt.frame(f).acked for f in bad))
        assert "平台账号" in await bot.say(admin, None, "/whoami")  # the chat goes on at once
        async with bot.app.db.reading() as s:
            stored = await s.scalar(
                select(func.count()).select_from(InboxItem).where(InboxItem.key.contains(bad[0]))
            )
        assert stored == 0


@pytest.mark.e2e
async def test_a_short_lived_token_is_fetched_again_at_half_life_not_per_call(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    def short_tokens(dt: object) -> None:
        dt.expire_in = 240  # type: ignore[attr-defined]  # shorter than the 300-s margin: half-life counts

    async with running_dingtalk_bot(sqlite_url, tmp_path, clock, before_start=short_tokens) as bot:
        admin = bot.dt.user(DT_ADMIN_ID, "王主任")
        for _ in range(3):
            assert "平台账号" in await bot.say(admin, None, "/whoami")
        assert len(bot.dt.calls_to("/v1.0/oauth2/accessToken")) == 1
