"""Sign-in rows on SQLite and PostgreSQL: a link opens one session even when two browsers race for it;
the rules of links and sessions as a table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from domain.desk import operations as desk_ops
from domain.desk.rules import LINK_TTL, SESSION_IDLE, DeskRefusal, link_refusal, may_use_desk, session_alive
from domain.outcome import Refused
from storage.enums import Role
from storage.models import Person, WebSession
from tests.harness import Harness, seed

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("role", "enterprise_id", "allowed"),
    [
        (Role.ADMIN, None, True),
        (Role.MANAGER, None, True),
        (Role.LEAD, 3, True),
        (Role.LEAD, None, False),  # a lead whose enterprise was unset sees nothing
        (Role.MEMBER, 3, False),
        (Role.INSPECTOR, None, False),
        (None, None, False),
    ],
)
def test_who_may_use_the_desk(role: Role | None, enterprise_id: int | None, allowed: bool) -> None:
    assert may_use_desk(SimpleNamespace(role=role, enterprise_id=enterprise_id)) is allowed  # type: ignore[arg-type]


def test_link_and_session_lifetimes() -> None:
    fresh = SimpleNamespace(used_at=None, expires_at=NOW + LINK_TTL)
    assert link_refusal(fresh, NOW) is None  # type: ignore[arg-type]
    assert link_refusal(fresh, NOW + LINK_TTL) == DeskRefusal.EXPIRED  # type: ignore[arg-type]
    assert link_refusal(SimpleNamespace(used_at=NOW, expires_at=NOW + LINK_TTL), NOW) == DeskRefusal.USED  # type: ignore[arg-type]
    assert link_refusal(None, NOW) == DeskRefusal.UNKNOWN
    live = SimpleNamespace(ended_at=None, last_seen_at=NOW)
    assert session_alive(live, NOW + SESSION_IDLE - timedelta(seconds=1))  # type: ignore[arg-type]
    assert not session_alive(live, NOW + SESSION_IDLE)  # type: ignore[arg-type]
    assert not session_alive(SimpleNamespace(ended_at=NOW, last_seen_at=NOW), NOW)  # type: ignore[arg-type]


async def test_two_browsers_racing_for_one_link_get_one_session(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    now = h.clock.now()
    async with h.app.db.unit_of_work() as s:
        li = await s.scalar(select(Person).where(Person.external_id == "li"))
        assert li is not None
        secret = await desk_ops.issue_link(s, li, now)

    async def open_link() -> str:
        try:
            async with h.app.db.unit_of_work() as s:
                cookie, _ = await desk_ops.redeem(s, secret, now)
                return cookie
        except Refused as exc:
            return str(exc.reason)

    results = await asyncio.gather(open_link(), open_link(), open_link())
    assert sorted(r == DeskRefusal.USED for r in results) == [False, True, True], results
    async with h.app.db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(WebSession)) == 1
        cookie = next(r for r in results if r != DeskRefusal.USED)
        found = await desk_ops.signed_in(s, cookie, now)
    assert found is not None and found[1].display_name == "李干部"
