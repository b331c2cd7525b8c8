"""A meeting notice with receipts on DingTalk, end to end through the fake open platform.

A manager @-mentions the robot with `/meeting …` in one of two park groups; four enterprises have a lead
each. With a card template the notice is one interactive card per group, updated in place (the same
outTrackId, by PUT) after each receipt: leads press 收到 or write `@安全助手 /confirm HY-2026-01`, one
presses 请假 and gives the reason in the private chat the bot asked it in, somebody with no enterprise
presses, a lead presses twice. Without a template the card is a markdown message and every change posts a
short update with the counts. Reminders (manual clock, no sleeping) go privately, by batchSend, only to
the enterprise that did not answer; the groups never see a list of laggards. The API calls the bot counted
are the calls the fake received.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from domain.park import operations as park_ops
from storage import dingtalk as dingtalk_rows
from storage.enums import Role
from tests.fake_dingtalk import CardInstance, FakeDingTalk, Group, User
from tests.fake_dingtalk import Message as DingTalkMessage
from tests.harness import LiveDingTalk, run_reminders, running_dingtalk_bot

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

LI_ID = "0200002"  # 李干部, manager
STRANGER_ID = "0900009"  # 小周: in the organisation, no role, no enterprise
LEADS = (
    ("0300011", "张伟", "华油装备"),
    ("0300012", "刘芳", "宏达机械"),
    ("0300013", "赵敏", "金禾食品"),
    ("0300014", "孙丽", "鑫源装备"),
)
GROUPS = (
    ("cidQ8w+Zk3/Vn5Ts0aP9x2Lm==", "园区安全生产群"),
    ("cidR2k+Pq7/Hy4Ws1bN8c3Xo==", "园区安全生产二群"),
)
CODE = "HY-2026-01"
MEETING = "/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 通报11月隐患整改情况"
CREATE = "/v1.0/card/instances/createAndDeliver"
PUT = "/v1.0/card/instances"
BATCH = "/v1.0/robot/oToMessages/batchSend"
GROUP_SEND = "/v1.0/robot/groupMessages/send"


class Park:
    """The people and the two park groups, as the fake knows them."""

    def __init__(self, dt: FakeDingTalk) -> None:
        self.li = dt.user(LI_ID, "李干部")
        self.stranger = dt.user(STRANGER_ID, "小周")
        self.leads = {name: dt.user(uid, name) for uid, name, _ in LEADS}
        self.groups = [dt.group(cid, title) for cid, title in GROUPS]


async def seed(bot: LiveDingTalk) -> Park:
    """Two park groups, four enterprises with a lead each, a manager; nobody has written privately yet."""
    park = Park(bot.dt)
    now = bot.app.clock.now()
    async with bot.app.db.unit_of_work() as s:
        for cid, title in GROUPS:
            chat = await park_ops.upsert_chat(
                s, platform="dingtalk", chat_id=cid, title=title, is_group=True, at=now
            )
            chat.is_park_group = True
        li = await park_ops.upsert_person(
            s, platform="dingtalk", external_id=LI_ID, display_name="李干部", username=None, at=now
        )
        await park_ops.set_role(s, li, Role.MANAGER, None, actor=None, at=now)
        await park_ops.upsert_person(
            s, platform="dingtalk", external_id=STRANGER_ID, display_name="小周", username=None, at=now
        )
        for user_id, name, short in LEADS:
            ent = await park_ops.add_enterprise(
                s, name=f"{short}有限公司", aliases=[short], industry=None, actor=None, at=now
            )
            lead = await park_ops.upsert_person(
                s, platform="dingtalk", external_id=user_id, display_name=name, username=None, at=now
            )
            await park_ops.set_role(s, lead, Role.LEAD, ent, actor=None, at=now)
    return park


def receipt_lines(text: str) -> tuple[str, str]:
    """The 回执 and 请假 lines of a card's markdown, as people read them."""
    lines = [line.strip() for line in text.replace("\n\n", "\n").split("\n")]
    return (
        next((x for x in lines if x.startswith("**回执**：")), ""),
        next((x for x in lines if x.startswith("**请假**：")), ""),
    )


def want(answered: int, leave: int) -> tuple[str, str]:
    return (f"**回执**：已回执 {answered}/4", f"**请假**：{leave} 家")


def notice_cards(dt: FakeDingTalk, park: Park) -> list[CardInstance]:
    """The notice card in each park group (one instance per group), in its current state."""
    found = []
    for group in park.groups:
        found += [c for c in dt.group_cards(group) if c.params["title"] == f"会议通知 {CODE}"]
    return found


async def say_in(bot: LiveDingTalk, user: User, where: Group | None, text: str, expect: str) -> None:
    """@-mention the robot (or write privately) and wait for an answer containing `expect` to that person:
    where they wrote, or privately (a typed 收到 in a group is answered privately, keeping the group quiet)."""
    target: Group | User = where if where is not None else user
    before, before_private = len(bot.texts(target)), len(bot.texts(user))
    bot.dt.send_text(user, where, text)
    await bot.dt.wait_for(
        lambda: any(expect in t for t in bot.texts(target)[before:] + bot.texts(user)[before_private:])
    )


async def press(bot: LiveDingTalk, user: User, card: CardInstance, label: str, expect: str) -> None:
    """Press a card button and wait for the private answer (a DingTalk card has no popup)."""
    before = len(bot.texts(user))
    frame = bot.dt.press_label(user, card, label)
    await bot.dt.wait_for(
        lambda: bot.dt.frame(frame).acked and any(expect in t for t in bot.texts(user)[before:])
    )


async def sweep(bot: LiveDingTalk, clock: ManualClock, at: datetime) -> int:
    """Run the reminder sweep at `at` by the manual clock and wait until its messages are out."""
    clock.set(at)
    app = bot.app
    n = await run_reminders(app, at)
    await app.sender.settle()
    return n


def laggard_named_in_groups(bot: LiveDingTalk, park: Park) -> bool:
    """Whether any group message or group card ever named the enterprise that did not answer."""
    for group in park.groups:
        if any("鑫源" in t or "孙丽" in t for t in bot.texts(group)):
            return True
        for card in bot.dt.group_cards(group):
            if any("鑫源" in v or "孙丽" in v for state in card.history for v in state.values()):
                return True
    return False


async def calls_counted(bot: LiveDingTalk) -> int:
    """The calls the bot has counted (after adding the ones not yet written down), in the months of the test."""
    await bot.app.inbox.idle()
    await bot.app.sender.settle()
    await bot.adapter.flush_calls()
    async with bot.app.db.unit_of_work() as session:
        return sum([await dingtalk_rows.calls_in(session, month) for month in ("2026-11", "2026-12")])


async def test_meeting_notice_receipts_and_reminders_over_dingtalk_cards(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock) as bot:
        dt = bot.dt
        park = await seed(bot)
        first_group, second_group = park.groups

        # --- 1. The manager @-mentions the robot in the first park group: one card in each park group
        # (in a park group the card itself is the answer).
        dt.send_text(park.li, first_group, MEETING)
        await dt.wait_for(lambda: len(notice_cards(dt, park)) == 2)
        first, second = notice_cards(dt, park)
        assert first.out_track_id != second.out_track_id
        for card in (first, second):
            assert card.params["status"] == "收集回执中" and "管委会三楼会议室" in card.params["body"]
            assert receipt_lines(card.params["body"]) == want(0, 0)
            assert [label for label, _ in card.buttons()] == ["收到", "请假"]

        async def expect(answered: int, leave: int) -> None:
            await dt.wait_for(
                lambda: (
                    [receipt_lines(c.params["body"]) for c in (first, second)] == [want(answered, leave)] * 2
                )
            )

        # --- 2. 收到 by a press in one group, by an @-mention with the code in the other; both cards follow.
        await press(bot, park.leads["张伟"], first, "收到", f"已为华油装备有限公司回执 {CODE}：收到。")
        await expect(1, 0)
        await say_in(
            bot,
            park.leads["刘芳"],
            second_group,
            f"/confirm {CODE}",
            f"已为宏达机械有限公司回执 {CODE}：收到。",
        )
        await expect(2, 0)
        await bot.app.sender.settle()
        puts = len(dt.calls_to(PUT, "PUT"))

        # --- 3. A lead presses twice, somebody with no enterprise presses: private hints, no change.
        await press(bot, park.leads["张伟"], second, "收到", f"已经回执过 {CODE}（收到）")
        await press(bot, park.stranger, first, "收到", "还没有绑定企业")
        await bot.app.sender.settle()
        assert len(dt.calls_to(PUT, "PUT")) == puts
        assert [receipt_lines(c.params["body"]) for c in (first, second)] == [want(2, 0)] * 2

        # --- 4. 赵敏 presses 请假: the reason is asked in her private chat, her next message there answers.
        zhao = park.leads["赵敏"]
        await press(bot, zhao, first, "请假", f"{CODE}（12月安全生产例会）请假：请回复请假原因")
        assert not any("请假" in t for g in park.groups for t in bot.texts(g)), (
            "asked privately, not in the group"
        )
        await say_in(
            bot,
            zhao,
            None,
            "外出参加培训 代参会：钱七",
            f"已为金禾食品有限公司登记 {CODE} 请假：外出参加培训，代参会：钱七。",
        )
        await expect(3, 1)

        # Every change is the same card instance per group, updated in place: two creations in all.
        assert len(notice_cards(dt, park)) == 2 and len(dt.calls_to(CREATE)) == 2
        assert first.updates == second.updates == 3
        assert [state["body"].count("已回执") for state in first.history] == [1] * 4

        # --- 5. Reminders by the manual clock: only 鑫源 (孙丽) is reminded, privately, by batchSend.
        sun = park.leads["孙丽"]
        await bot.app.inbox.idle()
        await bot.app.sender.settle()
        group_posts = {g.cid: len(bot.texts(g)) for g in park.groups}
        private_before = {u.user_id: len(bot.texts(u)) for u in (*park.leads.values(), park.li)}
        cards_before = set(dt.cards)
        assert (
            await sweep(bot, clock, datetime(2026, 12, 3, 15, 30, tzinfo=UTC)) == 0
        )  # 23:30 park time: quiet
        assert await sweep(bot, clock, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)) == 1  # Friday 09:00
        assert await sweep(bot, clock, datetime(2026, 12, 4, 6, 0, tzinfo=UTC)) == 0  # not twice a day
        reminded = [c for c in dt.calls_to(BATCH) if f"还没有回执会议通知 {CODE}" in c.body["msgParam"]]
        new_cards = [dt.cards[k] for k in dt.cards if k not in cards_before]
        reminder_cards = [c for c in new_cards if f"还没有回执会议通知 {CODE}" in c.params["body"]]
        # With a template the reminder carries its 收到 / 请假 buttons: a card in 孙丽's 1:1 chat only.
        assert reminded == [] and len(reminder_cards) == 1, dt.summary()
        assert reminder_cards[0].users == [sun.user_id] and reminder_cards[0].groups == []
        assert {g.cid: len(bot.texts(g)) for g in park.groups} == group_posts
        grew = {u for u, n in private_before.items() if len(bot.dt.private_messages(User(u, ""))) != n}
        assert grew == set(), "nobody else heard anything privately"

        # 孙丽 answers from the reminder (its 收到 button); both group cards reach 4/4.
        clock.set(datetime(2026, 12, 4, 6, 5, tzinfo=UTC))
        (reminder,) = reminder_cards
        await press(bot, sun, reminder, "收到", f"已为鑫源装备有限公司回执 {CODE}：收到。")
        await expect(4, 1)
        assert await sweep(bot, clock, datetime(2026, 12, 5, 0, 30, tzinfo=UTC)) == 0  # all answered

        # --- 6. The groups never saw who had not answered; nothing refused; every call counted.
        assert not laggard_named_in_groups(bot, park)
        assert [c for c in dt.calls if c.error] == [], dt.summary()
        assert await calls_counted(bot) == dt.counted
        assert dt.unacked() == []


def notice_posts(bot: LiveDingTalk, group: Group) -> list[DingTalkMessage]:
    """The notice's markdown card and its updates in a group, oldest first."""
    return [m for m in bot.messages(group) if m.msg_key == "sampleMarkdown" and CODE in m.param["title"]]


def markdown_counts(bot: LiveDingTalk, group: Group) -> tuple[str, str]:
    """The 回执 and 请假 lines as a group reads them: each from the latest post that shows it (an update
    shows what changed)."""
    found = ["", ""]
    for post in notice_posts(bot, group):
        for i, line in enumerate(receipt_lines(post.param["text"])):
            found[i] = line or found[i]
    return found[0], found[1]


async def test_meeting_notice_over_dingtalk_without_template(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_dingtalk_bot(sqlite_url, tmp_path, clock, template=False) as bot:
        dt = bot.dt
        park = await seed(bot)
        first_group, second_group = park.groups

        dt.send_text(park.li, first_group, MEETING)
        for group in park.groups:
            await dt.wait_for(
                lambda g=group: any(CODE in m.text for m in bot.messages(g) if m.msg_key == "sampleMarkdown")
            )
            card = next(
                m for m in bot.messages(group) if m.msg_key == "sampleMarkdown" and CODE in m.param["title"]
            )
            assert card.param["title"] == f"会议通知 {CODE}"
            # No buttons on DingTalk without a card: the actions are spelled out as commands.
            assert f"/confirm {CODE}" in card.param["text"] and f"/leave {CODE}" in card.param["text"]
            assert markdown_counts(bot, group) == want(0, 0)

        async def expect(answered: int, leave: int) -> None:
            await dt.wait_for(
                lambda: [markdown_counts(bot, g) for g in park.groups] == [want(answered, leave)] * 2
            )

        await say_in(
            bot,
            park.leads["张伟"],
            first_group,
            f"/confirm {CODE}",
            f"已为华油装备有限公司回执 {CODE}：收到。",
        )
        await expect(1, 0)
        update = [m for m in bot.messages(first_group) if m.msg_key == "sampleMarkdown"][-1]
        assert "（状态更新）" in update.param["title"]
        await say_in(
            bot,
            park.leads["刘芳"],
            second_group,
            f"/confirm {CODE}",
            f"已为宏达机械有限公司回执 {CODE}：收到。",
        )
        await expect(2, 0)
        await bot.app.sender.settle()
        posts = {g.cid: len(notice_posts(bot, g)) for g in park.groups}

        # Twice, and from somebody with no enterprise: told, and no update posted.
        await say_in(bot, park.leads["张伟"], second_group, f"/confirm {CODE}", f"已经回执过 {CODE}（收到）")
        await say_in(bot, park.stranger, first_group, f"/confirm {CODE}", "您目前的身份是：未登记")
        await bot.app.sender.settle()
        assert {g.cid: len(notice_posts(bot, g)) for g in park.groups} == posts

        # 请假 as a command with its reason.
        await say_in(
            bot,
            park.leads["赵敏"],
            first_group,
            f"/leave {CODE} 外出参加培训 代参会：钱七",
            f"已为金禾食品有限公司登记 {CODE} 请假：外出参加培训，代参会：钱七。",
        )
        await expect(3, 1)
        assert dt.calls_to(CREATE) == [] and dt.calls_to(PUT, "PUT") == []

        # Reminders: privately to 孙丽 only, as a text with the command to answer by.
        sun = park.leads["孙丽"]
        await bot.app.inbox.idle()
        await bot.app.sender.settle()
        group_posts = {g.cid: len(bot.texts(g)) for g in park.groups}
        assert await sweep(bot, clock, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)) == 1
        reminded = [c for c in dt.calls_to(BATCH) if f"还没有回执会议通知 {CODE}" in c.body["msgParam"]]
        assert [c.body["userIds"] for c in reminded] == [[sun.user_id]]
        assert f"/confirm {CODE}" in reminded[0].body["msgParam"]
        assert {g.cid: len(bot.texts(g)) for g in park.groups} == group_posts

        await say_in(bot, sun, None, f"/confirm {CODE}", f"已为鑫源装备有限公司回执 {CODE}：收到。")
        await expect(4, 1)
        assert not laggard_named_in_groups(bot, park)
        assert [c for c in dt.calls if c.error] == [], dt.summary()
        assert await calls_counted(bot) == dt.counted
