"""Hazard domain operations: one place checks the rules, writes the event and says who must be told."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from domain.hazards import operations as hazard_ops
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import Refusal, Tell
from domain.outcome import Refused
from domain.park import queries as park_queries
from storage.enums import ActorKind, HazardStatus, Level, Mode
from storage.models import Hazard, HazardEvent, Person
from tests.harness import LI, LIU, MA, ZHANG, Harness, jpeg, labels, seed


async def person(h: Harness, user_id: str) -> Person:
    async with h.app.db.sessions() as s:
        found = await park_queries.find_person(s, "test", user_id)
        assert found is not None
        return found


async def reported(h: Harness) -> Hazard:
    """Register a hazard through the chat (as 张伟, deadline 12月10日) and return its row."""
    await h.say(ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月10日", files=(h.add_file(jpeg(1)),))
    async with h.app.db.sessions() as s:
        hazard = await s.scalar(select(Hazard))
        assert hazard is not None
        return hazard


async def test_system_transition_is_recorded_with_actor_system(harness: Harness) -> None:
    h = harness
    await seed(h)
    await reported(h)
    async with h.app.db.unit_of_work() as s:
        hazard = await s.scalar(select(Hazard))
        assert hazard is not None
        change = await hazard_ops.set_level(s, hazard, None, Level.MAJOR, h.clock.now())
        assert change.changed and change.event is not None
    async with h.app.db.sessions() as s:
        event = await s.scalar(select(HazardEvent).order_by(HazardEvent.id.desc()).limit(1))
        assert event is not None
        assert (event.action, event.actor_kind, event.actor_id) == ("set_level", ActorKind.SYSTEM, None)
    out = await h.say(ZHANG, "/hazard yh-2026-1")  # codes in any case, without leading zeros
    history = h.texts(out)
    assert "系统 调整等级" in history
    assert labels(next(s.card for s in out if s.card is not None))["等级"] == "重大隐患"


async def test_operations_check_status_and_permission_whoever_calls(harness: Harness) -> None:
    h = harness
    await seed(h)
    await reported(h)
    liu, zhang, li = await person(h, "liu"), await person(h, "zhang"), await person(h, "li")
    async with h.app.db.unit_of_work() as s:
        hazard = await s.scalar(select(Hazard))
        assert hazard is not None
        with pytest.raises(Refused) as refused:
            await hazard_ops.accept(s, hazard, li, h.clock.now())  # nothing to verify yet
        assert refused.value.reason == Refusal.WRONG_STATUS
        with pytest.raises(Refused) as refused:
            await hazard_ops.submit_fix(
                s, hazard, liu, "不是我家的", [], h.clock.now()
            )  # another enterprise's lead
        assert refused.value.reason == Refusal.NOT_ALLOWED
        change = await hazard_ops.submit_fix(s, hazard, zhang, "已加锁", [], h.clock.now())
        told = {p.display_name for p in change.tell[Tell.VERIFY]}
        assert told == {"王主任", "李干部", "马科长"}  # every manager and admin, never the fixer
        with pytest.raises(Refused) as refused:
            await hazard_ops.accept(s, hazard, zhang, h.clock.now())
        assert refused.value.reason == Refusal.NOT_ALLOWED
        change = await hazard_ops.reject(s, hazard, li, "照片看不清", h.clock.now())
        assert {p.display_name for p in change.tell[Tell.REJECTED]} == {"张伟"}  # the fixer, the leads
        assert hazard.status == HazardStatus.RECTIFYING


async def test_enum_columns_refuse_unknown_values(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    zhang = await person(h, "zhang")
    now = h.clock.now()
    # Past the ORM (which refuses such values itself): the database's CHECK constraints decide.
    bad_rows = [
        (  # level `critical`
            "INSERT INTO hazards (code, enterprise_id, description, category, level, status, source,"
            " five_in_place, reporter_id, found_at, created_at, updated_at)"
            " VALUES ('YH-2026-9999', :e, 'x', 'other', 'critical', 'reported', 'snapshot', '{}', :p,"
            " :t, :t, :t)",
            {"e": zhang.enterprise_id, "p": zhang.id, "t": now},
        ),
        (  # role `boss`
            "INSERT INTO people (platform, external_id, display_name, role, created_at, updated_at)"
            " VALUES ('test', 'bad', 'x', 'boss', :t, :t)",
            {"t": now},
        ),
    ]
    for statement, values in bad_rows:
        with pytest.raises(IntegrityError):
            async with h.app.db.unit_of_work() as s:
                await s.execute(text(statement), values)


async def test_two_managers_accepting_at_once_close_the_hazard_once(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    await reported(h)
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    before = len(h.adapter.sent)
    await asyncio.gather(h.say(LI, "/accept YH-2026-0001"), h.say(MA, "/accept YH-2026-0001"))
    texts = [s.reply.text for s in h.adapter.sent[before:]]
    assert texts.count("YH-2026-0001 验收通过，已销号。") == 1
    assert texts.count("YH-2026-0001 当前状态是“已销号”，这个操作已不适用。") == 1
    async with h.app.db.sessions() as s:
        actions = (await s.scalars(select(HazardEvent.action).order_by(HazardEvent.id))).all()
    assert actions.count("accept") == 1


async def test_report_sets_fields_through_the_domain(harness: Harness) -> None:
    h = harness
    await seed(h)
    hazard = await reported(h)
    assert (hazard.mode, hazard.status, hazard.level) == (
        Mode.DEADLINE,
        HazardStatus.RECTIFYING,
        Level.GENERAL,
    )
    async with h.app.db.sessions() as s:
        assert [p.width for _, p in await hazard_queries.hazard_photos(s, hazard.id)] == [64]
    out = await h.say(LIU, "/hazard YH-2026-0001")
    assert "只能查看本企业" in h.texts(out)
