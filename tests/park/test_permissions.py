"""Permission matrix: every hazard action by every role (and a stranger), commands and buttons alike.

Each case starts from a fresh park with one hazard of 华油 reported by its lead, puts the hazard in
the state the action needs, performs the action as the given person, and checks the ledger row
changed exactly when the role allows it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from bot.messages import Sender
from domain.hazards import queries as hazard_queries
from storage.models import AuditEntry, Hazard
from tests.harness import ADMIN, CHEN, LI, LIU, XIAO, ZHANG, ZHAO, Harness, jpeg, seed

WHO: dict[str, Sender] = {
    "admin": ADMIN,
    "manager": LI,
    "inspector": ZHAO,
    "lead": ZHANG,
    "member": CHEN,
    "other_lead": LIU,
    "stranger": XIAO,
}


async def _hazard(h: Harness) -> Hazard | None:
    async with h.app.db.unit_of_work() as s:
        return await hazard_queries.hazard_by_code(s, "YH-2026-0001")  # with its enterprise


async def _new(h: Harness, text: str = "配电箱门未关闭") -> str:
    """Report hazard YH-2026-0001 of 华油 by its lead; return the card's message id."""
    out = await h.say(ZHANG, f"/hazard {text}", files=(h.add_file(jpeg(1)),))
    return next(s for s in out if s.card is not None).message_id


async def _awaiting(h: Harness) -> str:
    card = await _new(h, "配电箱门未关闭 3天内")
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    return card


async def _press(h: Harness, who: Sender, card_id: str, data: str) -> None:
    sent = next(s for s in h.adapter.sent if s.message_id == card_id)
    await h.press(who, sent, data=data)


# Each action: do it as `who`, then return whether it took effect.
Action = Callable[[Harness, Sender], Awaitable[bool]]


async def report(h: Harness, who: Sender) -> bool:
    await h.say(who, "/hazard 华油 二车间叉车无证驾驶 3天内", files=(h.add_file(jpeg(9)),))
    row = await _hazard(h)
    return row is not None and row.enterprise.name == "华油装备制造有限公司"


async def view(h: Harness, who: Sender) -> bool:
    await _new(h)
    out = await h.say(who, "/hazard YH-2026-0001")
    return any(s.card is not None for s in out)


async def list_enterprise(h: Harness, who: Sender) -> bool:
    await _new(h)
    return "YH-2026-0001" in h.texts(await h.say(who, "/hazards 华油"))


def edit_button(data: str, took: Callable[[Hazard], bool]) -> Action:
    """An edit button on a fresh card: press `data`, then check the row."""

    async def act(h: Harness, who: Sender) -> bool:
        card = await _new(h)
        await _press(h, who, card, data)
        row = await _hazard(h)
        return row is not None and took(row)

    return act


set_due = edit_button("hzdue:1:7", lambda row: row.status == "rectifying")
set_level = edit_button("hzlvl:1:major", lambda row: row.level == "major")
set_category = edit_button("hzcat:1:fire", lambda row: row.category == "fire")


async def five(h: Harness, who: Sender) -> bool:
    await _new(h, "重大隐患 储罐压力表失效 3天内")
    await h.say(who, "/five YH-2026-0001 责任人=某人")
    row = await _hazard(h)
    return row is not None and row.five_in_place.get("responsible") == "某人"


async def fix(h: Harness, who: Sender) -> bool:
    await _new(h, "配电箱门未关闭 3天内")
    await h.say(who, "/fix YH-2026-0001 已整改", files=(h.add_file(jpeg(3)),))
    row = await _hazard(h)
    return row is not None and row.status == "awaiting_verification"


async def fix_button(h: Harness, who: Sender) -> bool:
    card = await _new(h, "配电箱门未关闭 3天内")
    await _press(h, who, card, "hzfix:1")
    await h.say(who, "已整改", files=(h.add_file(jpeg(3)),), reply_to=h.adapter.sent[-1].message_id)
    row = await _hazard(h)
    return row is not None and row.status == "awaiting_verification"


async def accept(h: Harness, who: Sender) -> bool:
    card = await _awaiting(h)
    await _press(h, who, card, "hzok:1")
    row = await _hazard(h)
    return row is not None and row.status == "closed"


async def reject(h: Harness, who: Sender) -> bool:
    card = await _awaiting(h)
    await _press(h, who, card, "hzno:1")
    await h.say(who, "照片看不清", reply_to=h.adapter.sent[-1].message_id)
    row = await _hazard(h)
    return row is not None and row.status == "rectifying"


EVERYONE = {"admin", "manager", "inspector", "lead", "member"}
ENTERPRISE_AND_MANAGERS = {"admin", "manager", "lead", "member"}
MATRIX: dict[str, tuple[Action, set[str]]] = {
    "report": (report, EVERYONE),  # the other lead's report lands in their own enterprise, not 华油
    "view": (view, EVERYONE),
    "list": (list_enterprise, EVERYONE),
    "set_due": (set_due, ENTERPRISE_AND_MANAGERS),  # an inspector edits only what they reported
    "set_level": (set_level, ENTERPRISE_AND_MANAGERS),
    "set_category": (set_category, ENTERPRISE_AND_MANAGERS),
    "five": (five, ENTERPRISE_AND_MANAGERS),
    "fix": (fix, ENTERPRISE_AND_MANAGERS),
    "fix_button": (fix_button, ENTERPRISE_AND_MANAGERS),
    "accept": (accept, {"admin", "manager"}),
    "reject": (reject, {"admin", "manager"}),
}

CASES = [(action, role) for action in MATRIX for role in WHO]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
async def test_permission_matrix(harness: Harness, action: str, role: str) -> None:
    h = harness
    await seed(h)
    do, allowed = MATRIX[action]
    took_effect = await do(h, WHO[role])
    assert took_effect == (role in allowed), f"{role} {'could' if took_effect else 'could not'} {action}"
    if not took_effect and action in (
        "set_due",
        "set_level",
        "set_category",
        "fix_button",
        "accept",
        "reject",
    ):
        async with h.app.db.unit_of_work() as s:
            refused = await s.scalar(select(func.count()).where(AuditEntry.action == "button.refused"))
        assert refused == 1, "a refused button press is logged"
