"""Every card button has a command twin carrying the code, for platforms without buttons or replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot.messages import Capabilities, Reply
from storage.models import Hazard
from tests.harness import LI, ZHANG, ZHAO, Harness, jpeg, labels, seed


async def status(h: Harness) -> str:
    async with h.app.db.sessions() as s:
        hazard = await s.scalar(select(Hazard))
        assert hazard is not None
        return hazard.status


async def test_whole_loop_by_commands_with_codes(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(ZHAO, "/hazard 华油 二车间配电箱门未关闭", files=(h.add_file(jpeg(1)),))
    out = await h.say(ZHAO, "/due YH-2026-1 3天内")
    assert "整改期限已设为 2026-12-03" in h.texts(out)
    assert await status(h) == "rectifying"
    out = await h.say(ZHAO, "/level YH-2026-0001 重大")
    assert "已设为重大隐患" in h.texts(out) and "五落实" in h.texts(out)
    out = await h.say(ZHAO, "/category YH-2026-0001 消防安全")
    assert "类别已改为 消防安全" in h.texts(out)
    out = await h.say(ZHAO, "/category YH-2026-0001 天气")
    assert "类别可选" in h.texts(out)
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    out = await h.say(LI, "/reject YH-2026-0001")
    assert "写明驳回" in h.texts(out)  # no reason given: the bot asks for it
    out = await h.say(LI, "/reject YH-2026-0001 警示标识不清晰")
    assert "已驳回" in h.texts(out) and await status(h) == "rectifying"
    notice = next(s for s in h.adapter.sent if "验收未通过" in (s.reply.text or ""))
    assert notice.chat == h.private(ZHANG)
    await h.say(ZHANG, "/fix YH-2026-0001 已重新张贴", files=(h.add_file(jpeg(3)),))
    out = await h.say(ZHANG, "/accept YH-2026-0001")
    assert "需要以下身份之一" in h.texts(out)
    out = await h.say(LI, "/accept yh-2026-0001")  # a major hazard: not without its five-in-place
    assert (
        "五落实还缺：责任人、措施、资金、时限、预案" in h.texts(out)
        and await status(h) == "awaiting_verification"
    )
    await h.say(ZHANG, "/five YH-2026-0001 责任人=张伟 措施=加锁 资金=200元 时限=12月3日 预案=停电检修预案")
    out = await h.say(LI, "/accept yh-2026-0001")
    assert "验收通过，已销号" in h.texts(out) and await status(h) == "closed"


@dataclass
class NoButtonsBatchingAdapter:
    """A platform like DingTalk's plain robot messages: no buttons, no edits, private messages to anyone."""

    platform: str = "test"
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(
            replies=False, buttons=False, edits=False, private_to_anyone=True
        )
    )
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    batches: list[tuple[list[str], Reply]] = field(default_factory=list)

    async def send(self, chat, reply):  # type: ignore[no-untyped-def]
        self.sent.append((chat.chat_id, reply))
        return str(len(self.sent))

    async def edit_card(self, chat_id, message_id, card):  # type: ignore[no-untyped-def]
        raise AssertionError("this platform cannot edit")

    async def send_private(self, user_ids, reply):  # type: ignore[no-untyped-def]
        self.batches.append((list(user_ids), reply))

    async def fetch_file(self, ref):  # type: ignore[no-untyped-def]
        return jpeg(int(ref.file_id.removeprefix("f")))


async def test_core_falls_back_to_commands_reposts_and_batches_by_capability(harness: Harness) -> None:
    h = harness
    await seed(h, private=())  # nobody ever wrote to the bot privately
    platform = NoButtonsBatchingAdapter()
    h.app.dispatcher.attach(platform)
    await h.say(ZHANG, "/hazard 配电箱门未关闭 3天内", files=(h.add_file(jpeg(1)),))
    chat_id, first = platform.sent[0]
    assert chat_id == "group" and first.card is not None and first.card.actions == ()
    assert "/fix YH-2026-0001" in labels(first.card)["可用命令"]
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    reposted = [r for _, r in platform.sent if r.card is not None]
    assert len(reposted) == 2 and reposted[1].card is not None
    assert reposted[1].card.status is not None and reposted[1].card.status.value == "awaiting_verification"
    assert "/accept YH-2026-0001" in labels(reposted[1].card)["可用命令"]
    # Managers get the card privately, though none of them ever wrote to the bot: each their own copy,
    # since a private copy shows only the buttons its person may press (here: they may all verify).
    assert sorted(u for ids, _ in platform.batches for u in ids) == ["admin", "li", "ma"]
    assert all(len(ids) == 1 and b.card is not None for ids, b in platform.batches)
    assert all("/accept YH-2026-0001" in labels(b.card)["可用命令"] for _, b in platform.batches if b.card)
