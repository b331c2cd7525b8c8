"""Storage on SQLite and PostgreSQL: migrations, constraints, time zones, idempotence.

The migration tests start from an empty database; the others get a copy of the session's migrated template.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from domain.park import operations as park_ops
from domain.park import queries as park_queries
from storage import audit
from storage.db import Database, pending_revisions, upgrade
from storage.models import AuditEntry, Base, Enterprise, Person

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db(any_db_url: str) -> AsyncIterator[Database]:
    """Yield a migrated database on each engine."""
    database = Database(any_db_url)
    assert await pending_revisions(database.engine) == []  # the copy of the template is complete
    yield database
    await database.dispose()


async def test_upgrade_from_empty_creates_every_table(any_empty_db_url: str) -> None:
    database = Database(any_empty_db_url)
    try:
        assert await pending_revisions(database.engine) != []
        await upgrade(database.engine)
        assert await pending_revisions(database.engine) == []
        async with database.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        await database.dispose()


async def test_models_and_migrations_agree(any_empty_db_url: str) -> None:
    def diff(conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))

    database = Database(any_empty_db_url)
    try:
        await upgrade(database.engine)
        async with database.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await database.dispose()


async def test_aware_datetimes_round_trip_in_utc(db: Database) -> None:
    beijing = timezone(timedelta(hours=8))
    async with db.unit_of_work() as s:
        await park_ops.add_enterprise(
            s, name="华油", aliases=[], industry=None, actor=None, at=NOW.astimezone(beijing)
        )
    async with db.unit_of_work() as s:
        e = await s.scalar(select(Enterprise))
        assert e is not None
        assert e.created_at == NOW and e.created_at.tzinfo is not None
    with pytest.raises(Exception, match="naive"):
        async with db.unit_of_work() as s:
            s.add(Enterprise(name="x", aliases=[], active=True, created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
            await s.flush()


async def test_update_key_claimed_once(db: Database) -> None:
    async with db.unit_of_work() as s:
        assert await audit.claim_update(s, "telegram:1", NOW) is True
        assert await audit.claim_update(s, "telegram:1", NOW) is False
    async with db.unit_of_work() as s:
        assert await audit.claim_update(s, "telegram:1", NOW) is False
        assert await audit.claim_update(s, "telegram:2", NOW) is True


async def test_person_identity_unique_per_platform(db: Database) -> None:
    async with db.unit_of_work() as s:
        a = await park_ops.upsert_person(
            s, platform="telegram", external_id="42", display_name="张三", username=None, at=NOW
        )
        b = await park_ops.upsert_person(
            s, platform="telegram", external_id="42", display_name="张三丰", username="z", at=NOW
        )
        c = await park_ops.upsert_person(
            s, platform="dingtalk", external_id="42", display_name="张三", username=None, at=NOW
        )
        assert a.id == b.id != c.id and b.display_name == "张三丰"
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as s:
            s.add(
                Person(
                    platform="telegram", external_id="42", display_name="x", created_at=NOW, updated_at=NOW
                )
            )


async def test_role_change_is_audited_and_odd_text_stored(db: Database) -> None:
    odd = "🏭 '; DROP TABLE people; -- \u202e企业"
    async with db.unit_of_work() as s:
        e = await park_ops.add_enterprise(s, name=odd, aliases=["别名"], industry=None, actor=None, at=NOW)
        p = await park_ops.upsert_person(
            s, platform="telegram", external_id="7", display_name=odd, username=None, at=NOW
        )
        await park_ops.set_role(s, p, "lead", e, actor=None, at=NOW)
    async with db.unit_of_work() as s:
        person = await park_queries.find_person(s, "telegram", "7")  # with its enterprise
        assert person is not None and person.enterprise is not None and person.enterprise.name == odd
        entries = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        assert [x.action for x in entries] == ["enterprise.add", "person.role"]
        assert entries[1].detail["after"] == {"role": "lead", "enterprise_id": person.enterprise_id}
        found = await park_queries.match_enterprises(s, "别名")
        assert [x.name for x in found] == [odd]


async def test_prune_forgets_only_what_is_long_done(db: Database) -> None:
    from datetime import timedelta as td

    from storage import audit as audit_rows
    from storage import bookkeeping
    from storage import inbox as inbox_rows
    from storage import outbox as outbox_rows
    from storage.enums import OutboxState

    async with db.unit_of_work() as s:
        conn = await s.connection()
        first = await conn.run_sync(
            bookkeeping.put_inbox,
            "t",
            [("t:1", "c", {}), ("t:2", "c", {}), ("t:3", "c", {})],
            NOW - td(days=9),
        )
        ids = await conn.run_sync(bookkeeping.put_inbox, "t", [("t:4", "c", {})], NOW)
        old, _ = await conn.run_sync(
            bookkeeping.add_outbox,
            [
                {
                    "update_key": key,
                    "payload": [{"text": key}],
                    "created_at": NOW - td(days=9),
                    "lane": "t:c",
                    "platform": "t",
                    "chat_id": "c",
                }
                for key in ("t:1", "t:2")  # t:2 is never sent: kept
            ],
        )
        await outbox_rows.finish(s, [old], OutboxState.SENT, NOW - td(days=8))
        await audit_rows.claim_update(s, "t:1", NOW - td(days=40))
        await audit_rows.claim_update(s, "t:2", NOW)
    async with db.unit_of_work() as s:
        for key in ("t:1", "t:2"):
            await inbox_rows.mark_done(s, first[key], NOW - td(days=8))
        await inbox_rows.mark_done(s, ids["t:4"], NOW)
    async with db.unit_of_work() as s:
        assert await inbox_rows.prune(s, NOW - td(days=7)) == 2  # t:3 waits, t:4 is recent
        assert await outbox_rows.prune(s, NOW - td(days=7)) == 1
        assert await audit_rows.prune_processed(s, NOW - td(days=30)) == 1
    async with db.unit_of_work() as s:
        assert await inbox_rows.count_pending(s) == 1
