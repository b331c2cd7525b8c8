"""Rules hold when updates are handled concurrently, on SQLite and PostgreSQL.

Each scenario acts on ten hazards at once, two identical actions per hazard, all gathered together:
every hazard then has exactly one event of that action, a consistent event chain, and the enterprise
is told exactly once. Concurrent `h.say` results overlap, so the checks read `h.adapter.sent`, the
button outcomes and the database. Inserts that race (a photo, a new person, a new chat) never fail.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable

import pytest
from sqlalchemy import func, select

from bot.messages import ChatRef, Outcome
from handlers import texts as T
from storage.models import AuditEntry, Chat, Enterprise, Hazard, HazardEvent, Person, Photo
from tests.harness import ADMIN, CHEN, LI, MA, PLATFORM, ZHANG, Harness, Sent, card_of, jpeg, seed

N = 10
FIX_REASON = "警示标识不清晰"


async def reported(h: Harness, *, due: str = "限期 12月10日") -> list[Sent]:
    """Report N hazards as the lead of 华油, one by one; return their group cards."""
    cards = []
    for i in range(N):
        out = await h.say(ZHANG, f"/hazard 隐患{i}配电箱门未关闭 {due}".strip(), files=(h.add_file(jpeg(i)),))
        cards.append(card_of(out))
    return cards


async def fixed(h: Harness) -> list[Sent]:
    """Report N hazards and submit each one's fix; return their group cards (awaiting verification)."""
    cards = await reported(h)
    for i, card in enumerate(cards):
        await h.say(ZHANG, f"/fix {code(i)} 已加锁", files=(h.add_file(jpeg(100 + i)),))
        assert card.card is not None and card.card.status.value == "awaiting_verification"
    return cards


def code(i: int) -> str:
    """Return the code of the i-th hazard of a scenario."""
    return f"YH-2026-{i + 1:04d}"


async def at_once(h: Harness, calls: list[Awaitable[object]]) -> tuple[int, list[object]]:
    """Run every call concurrently, check none was answered with the failure text, and return where the
    record stood before them and their results."""
    since = len(h.adapter.sent)
    outcomes = list(await asyncio.gather(*calls))
    no_sorry(h, since, outcomes)
    return since, outcomes


@pytest.fixture
async def h(any_harness: Harness) -> Harness:
    """Return the harness on SQLite and on PostgreSQL, with the park seeded."""
    await seed(any_harness)
    return any_harness


async def ledger_events(h: Harness) -> dict[str, list[HazardEvent]]:
    """Return every hazard's events by code, oldest first."""
    async with h.app.db.sessions() as s:
        rows = (await s.execute(select(Hazard.code, HazardEvent).join(Hazard).order_by(HazardEvent.id))).all()
    by_code: dict[str, list[HazardEvent]] = {}
    for c, event in rows:
        by_code.setdefault(c, []).append(event)
    return by_code


async def assert_once(h: Harness, action: str) -> None:
    """Check every hazard has exactly one event of the action and a consistent chain of statuses."""
    by_code = await ledger_events(h)
    assert sorted(by_code) == [code(i) for i in range(N)]
    doubled = {c: n for c in by_code if (n := [e.action for e in by_code[c]].count(action)) != 1}
    assert doubled == {}, f"{action} events per hazard, where not exactly one: {doubled}"
    for c, events in by_code.items():
        status = None
        for e in events:
            assert e.from_status == status, f"{c}: {[(x.action, x.from_status, x.to_status) for x in events]}"
            if e.to_status is not None:
                status = e.to_status


def texts_to(h: Harness, chat_id: str, since: int) -> list[str]:
    """Return the texts the bot sent to one chat since a point in the record."""
    return [s.reply.text or "" for s in h.adapter.sent[since:] if s.chat.chat_id == chat_id]


def no_sorry(h: Harness, since: int, outcomes: list[object] = ()) -> None:  # type: ignore[assignment]
    """Check nothing was answered with the generic failure text."""
    sent = [s.reply.text for s in h.adapter.sent[since:]]
    toasts = [o.toast for o in outcomes if isinstance(o, Outcome)]
    assert T.SORRY not in sent + toasts


async def test_two_managers_accept_at_once(h: Harness) -> None:
    cards = await fixed(h)
    since, outcomes = await at_once(h, [h.press(who, card, "验收通过") for card in cards for who in (LI, MA)])
    await assert_once(h, "accept")
    toasts = Counter(o.toast for o in outcomes if isinstance(o, Outcome))
    assert all(toasts[T.VERIFY_ACCEPTED.format(code=code(i))] == 1 for i in range(N)), toasts
    notices = Counter(t.split("（")[0] for t in texts_to(h, "p-zhang", since))
    assert notices == {code(i): 1 for i in range(N)}


async def test_one_manager_accepts_twice_at_once(h: Harness) -> None:
    cards = await fixed(h)
    since, _ = await at_once(h, [h.press(LI, card, "验收通过") for card in cards for _ in range(2)])
    await assert_once(h, "accept")
    notices = Counter(t.split("（")[0] for t in texts_to(h, "p-zhang", since))
    assert notices == {code(i): 1 for i in range(N)}


async def test_two_members_fix_at_once(h: Harness) -> None:
    await reported(h)
    since, _ = await at_once(
        h,
        [
            h.say(who, f"/fix {code(i)} 已加锁", files=(h.add_file(jpeg(200 + 2 * i + k)),))
            for i in range(N)
            for k, who in enumerate((ZHANG, CHEN))
        ],
    )
    await assert_once(h, "fix")
    submitted = Counter(t.split("\n")[0] for t in texts_to(h, "group", since) if "已提交整改" in t)
    assert submitted == {T.FIX_SUBMITTED.format(code=code(i)): 1 for i in range(N)}
    # Each manager gets each hazard's card privately once.
    for manager in ("p-li", "p-ma", "p-admin"):
        private = Counter(
            s.card.title for s in h.adapter.sent[since:] if s.card and s.chat.chat_id == manager
        )
        assert private == {f"隐患 {code(i)}": 1 for i in range(N)}, manager


async def test_two_deadline_presses_at_once(h: Harness) -> None:
    cards = await reported(h, due="")
    _, outcomes = await at_once(
        h, [h.press(who, card, label) for card in cards for who, label in ((ZHANG, "3天内"), (LI, "7天内"))]
    )
    await assert_once(h, "set_due")
    set_toasts = Counter(
        o.toast.split(" ")[0]
        for o in outcomes
        if isinstance(o, Outcome) and o.toast and "整改期限已设为" in o.toast
    )
    assert set_toasts == {code(i): 1 for i in range(N)}


async def test_same_deadline_button_twice_at_once(h: Harness) -> None:
    cards = await reported(h, due="")
    await at_once(h, [h.press(ZHANG, card, "立即整改") for card in cards for _ in range(2)])
    await assert_once(h, "set_due")


async def test_two_rejections_at_once(h: Harness) -> None:
    await fixed(h)
    since, _ = await at_once(
        h, [h.say(who, f"/reject {code(i)} {FIX_REASON}{who.user_id}") for i in range(N) for who in (LI, MA)]
    )
    await assert_once(h, "reject")
    notices = Counter(t.split("（")[0] for t in texts_to(h, "p-zhang", since))
    assert notices == {code(i): 1 for i in range(N)}


async def test_same_photo_from_two_people_at_once(h: Harness) -> None:
    data = jpeg(7)
    await at_once(
        h,
        [
            h.say(who, f"/hazard 配电箱门未关闭{i} 3天内", files=(h.add_file(data),))
            for i in range(5)
            for who in (ZHANG, CHEN)
        ],
    )
    async with h.app.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Photo)) == 1
        assert await s.scalar(select(func.count()).select_from(Hazard)) == 10


async def test_first_messages_of_a_new_person_at_once(h: Harness) -> None:
    newcomer = Harness.person("newcomer", "新来的")
    chat = ChatRef(PLATFORM, "new-group", is_group=True, title="新群")
    since, _ = await at_once(h, [h.say(newcomer, "/whoami", chat) for _ in range(N)])
    assert len(texts_to(h, "new-group", since)) == N
    async with h.app.db.sessions() as s:
        assert (
            await s.scalar(select(func.count()).select_from(Person).where(Person.external_id == "newcomer"))
            == 1
        )
        assert await s.scalar(select(func.count()).select_from(Chat).where(Chat.chat_id == "new-group")) == 1


async def test_reject_button_twice_at_once(h: Harness) -> None:
    cards = await fixed(h)
    since, _ = await at_once(h, [h.press(LI, card, "驳回") for card in cards for _ in range(2)])
    asked = [s for s in h.adapter.sent[since:] if "原因" in (s.reply.text or "")]
    assert len(asked) == 2 * N


async def test_join_request_decided_twice_at_once(h: Harness) -> None:
    cards = []
    for i in range(N):
        out = await h.say(Harness.person(f"new{i}", f"新人{i}"), "/join 华油 员工")
        cards.append(next(s for s in out if s.card is not None))
    since, _ = await at_once(h, [h.press(ADMIN, card, label) for card in cards for label in ("批准", "拒绝")])
    async with h.app.db.sessions() as s:
        decided = Counter(
            (await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("join.%")))).all()
        )
    assert decided["join.approve"] + decided["join.reject"] == N, decided
    notices = [s for s in h.adapter.sent[since:] if s.card is None and s.chat.chat_id == "group"]
    assert len(notices) == N


async def test_same_enterprise_added_twice_at_once(h: Harness) -> None:
    since, _ = await at_once(
        h, [h.say(ADMIN, f"/enterprise_add 新城化工有限公司{i // 2} 新城{i // 2}") for i in range(2 * N)]
    )
    added = [t for t in texts_to(h, "group", since) if t.startswith("已添加企业")]
    said = Counter(t.split("（")[0] for t in added)  # which enterprise each says was added
    assert len(added) == N, (said, [(s.message_id, s.reply.text) for s in h.adapter.sent[since:]])
    async with h.app.db.sessions() as s:
        names = (await s.scalars(select(Enterprise.name).where(Enterprise.name.like("新城%")))).all()
    assert sorted(names) == sorted(f"新城化工有限公司{i}" for i in range(N))
