"""The demo park the console starts with: a few enterprises, an admin, a manager, an inspector, leads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.console import GROUP, PLATFORM, ConsolePerson
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from storage.enums import Role

ENTERPRISES = [
    ("华油装备制造有限公司", ["华油", "华油装备"], "石油装备"),
    ("宏达机械有限公司", ["宏达", "宏达机械"], "机械加工"),
    ("鲁味食品有限公司", ["鲁味", "鲁味食品"], "食品加工"),
    ("胜利石油机械厂", ["胜利", "胜利机械"], "石油装备"),
]

# (console id, name, role, enterprise index)
PEOPLE: list[tuple[str, str, Role, int | None]] = [
    ("wang", "王主任", Role.ADMIN, None),
    ("li", "李干部", Role.MANAGER, None),
    ("zhao", "赵工", Role.INSPECTOR, None),
    ("zhang", "张伟", Role.LEAD, 0),
    ("chen", "陈明", Role.MEMBER, 0),
    ("liu", "刘芳", Role.LEAD, 1),
    ("sun", "孙强", Role.LEAD, 2),
]


def console_people() -> list[ConsolePerson]:
    """Return the people the console user can speak as, plus a newcomer with no role."""
    return [ConsolePerson(uid, name) for uid, name, _, _ in PEOPLE] + [ConsolePerson("xiao", "小周")]


async def load_demo(session: AsyncSession, now: datetime) -> bool:
    """Fill an empty database with the demo park; False when it already has enterprises."""
    if await park_queries.list_enterprises(session, active_only=False):
        return False
    created = []
    for name, aliases, industry in ENTERPRISES:
        e = await park_ops.add_enterprise(
            session, name=name, aliases=aliases, industry=industry, actor=None, at=now
        )
        assert e is not None
        created.append(e)
    for uid, name, role, index in PEOPLE:
        person = await park_ops.upsert_person(
            session, platform=PLATFORM, external_id=uid, display_name=name, username=uid, at=now
        )
        person.private_chat_id = f"private-{uid}"
        await park_ops.set_role(
            session, person, role, created[index] if index is not None else None, actor=None, at=now
        )
    chat = await park_ops.upsert_chat(
        session, platform=PLATFORM, chat_id=GROUP.chat_id, title=GROUP.title, is_group=True, at=now
    )
    chat.is_park_group = True
    return True
