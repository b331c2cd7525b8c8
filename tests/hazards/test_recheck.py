"""The inspector who found a hazard (issue #18 item 16): told when it is closed (销号), and, where the park
allows it (`park.inspector_recheck`), doing the re-check (复查) of the fix like a manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from bot.clock import ManualClock
from handlers import texts as T
from tests.harness import LI, ZHANG, ZHAO, Harness, Sent, card_of, hazard_status, jpeg, make_settings, seed

PRIVATE = ("admin", "li", "ma", "zhang", "liu", "zhao")


async def found_and_fixed(h: Harness) -> tuple[Sent, list[Sent]]:
    """赵工 (inspector) finds a hazard at 华油; 张伟 (its lead) fixes it. Return the card and what the fix sent."""
    card = card_of(await h.say(ZHAO, "/hazard 华油 冲床防护罩缺失", files=(h.add_file(jpeg(1)),)))
    fixed = await h.say(ZHANG, "/fix 已加装防护罩", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    return card, fixed


def to(h: Harness, user_id: str, sent: list[Sent]) -> list[Sent]:
    """Return the messages among `sent` that went to one person's private chat."""
    return [s for s in sent if s.chat.chat_id == f"p-{user_id}"]


async def test_the_inspector_who_found_it_is_told_when_it_is_closed(harness: Harness) -> None:
    h = harness
    await seed(h, PRIVATE)
    _, fixed = await found_and_fixed(h)
    assert not to(h, "zhao", fixed), "by default the fix goes to the managers only"
    # By default the inspector does not verify: the answer says who does, and /help does not offer it.
    said = h.texts(await h.say(ZHAO, "/accept YH-2026-0001", Harness.private(ZHAO)))
    assert said == T.RECHECK_OFF
    help_text = h.texts(await h.say(ZHAO, "/help", Harness.private(ZHAO)))
    assert "/accept" not in help_text and "复查" not in help_text
    out = await h.say(LI, "/accept YH-2026-0001", Harness.private(LI))
    assert await hazard_status(h) == "closed"
    told = h.texts(to(h, "zhao", out))
    assert (
        "您发现的隐患 YH-2026-0001（华油装备制造有限公司：冲床防护罩缺失）已由李干部验收销号。" in told
    )


@pytest.fixture
async def rechecking(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """A harness whose park lets the inspector who found a hazard re-check its fix."""
    settings = make_settings(sqlite_url, tmp_path)
    settings = replace(settings, park=replace(settings.park, inspector_recheck=True))
    h = await Harness.create(settings, clock)
    try:
        yield h
    finally:
        await h.close()


async def test_where_the_park_allows_it_the_finder_rechecks_the_fix(rechecking: Harness) -> None:
    h = rechecking
    await seed(h, PRIVATE)
    _, fixed = await found_and_fixed(h)
    # The fix reaches the inspector privately too, with the buttons to check it.
    private = [s for s in to(h, "zhao", fixed) if s.card is not None]
    assert "等待管理人员验收或发现它的检查专家赵工复查" in h.texts(fixed)
    assert private, "the inspector who found it gets the card to re-check"
    help_text = h.texts(await h.say(ZHAO, "/help", Harness.private(ZHAO)))
    assert "/accept" in help_text and "复查：本园区允许检查专家复查自己发现的隐患" in help_text
    # He rejects it once (the reason is asked), the lead fixes again, he accepts: closed.
    await h.press(ZHAO, private[0], "驳回")
    out = await h.say(ZHAO, "防护罩未固定", Harness.private(ZHAO))
    assert "驳回" in h.texts(out) and await hazard_status(h) == "rectifying"
    await h.say(ZHANG, "/fix YH-2026-0001 已用螺栓固定", files=(h.add_file(jpeg(3)),))
    out = await h.say(ZHAO, "/accept YH-2026-0001", Harness.private(ZHAO))
    assert await hazard_status(h) == "closed"
    assert T.VERIFY_ACCEPTED.format(code="YH-2026-0001") in h.texts(out)
    assert not any("您发现的隐患" in (s.reply.text or "") for s in to(h, "zhao", out)), (
        "not told of his own act"
    )


async def test_an_inspector_rechecks_only_what_they_found(rechecking: Harness) -> None:
    h = rechecking
    await seed(h, PRIVATE)
    card = card_of(await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(1)),)))
    fixed = await h.say(ZHANG, "/fix 已加锁", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    assert not to(h, "zhao", fixed)
    said = h.texts(await h.say(ZHAO, "/accept YH-2026-0001", Harness.private(ZHAO)))
    assert said == T.RECHECK_NOT_FINDER.format(code="YH-2026-0001")
    group_card = next(
        s for s in h.adapter.sent if s.card is not None and s.card.key == "hazard:1" and s.chat.is_group
    )
    outcome = await h.press(ZHAO, group_card, "验收通过")
    assert outcome.toast == T.RECHECK_NOT_FINDER.format(code="YH-2026-0001")
    assert await hazard_status(h) == "awaiting_verification"
