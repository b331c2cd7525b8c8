"""The rows of the Excel ledger (隐患台账) and its statistics, read page by page so memory stays flat.

Hazards are read in pages by (found_at, id) keyset; each page's fixes, verifications and photos come
in one query each (never a query per hazard). The workbook itself is written by `handlers/reports/ledger_xlsx.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.reports.rules import FoundBy, found_by, funds_in_10k
from storage.enums import HazardStatus, Level, Mode
from storage.models import (
    Campaign,
    CampaignHazard,
    Enterprise,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Inspection,
    Person,
    Photo,
)

PAGE = 2000


@dataclass
class LedgerRow:
    """One hazard as the ledger prints it."""

    code: str
    found_at: datetime
    enterprise: str
    description: str
    category: str
    level: Level
    mode: Mode | None
    five: dict[str, Any]
    due_date: date | None
    status: HazardStatus
    location: str = ""
    found_by: FoundBy = FoundBy.SNAPSHOT
    reporter: str = ""
    activity: str | None = None  # the inspection (检查) or else the campaign (专项行动) it was found in
    fix_note: str | None = None
    fixer: str | None = None
    fixed_at: datetime | None = None
    verifier: str | None = None
    verified_at: datetime | None = None
    backfilled: bool = False  # 补录: entered from paper records after the fact, with its real dates
    officer: str = ""  # the committee officer who looks after the enterprise (包片干部), as of the export
    before: list[str] = field(default_factory=list)  # photo paths relative to the photo directory
    after: list[str] = field(default_factory=list)


_OFFICER = aliased(Person)


async def ledger_count(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Return how many hazards `ledger_pages` yields for [start, end)."""
    found = await session.scalar(
        select(func.count()).select_from(Hazard).where(Hazard.found_at >= start, Hazard.found_at < end)
    )
    return int(found or 0)


async def ledger_pages(
    session: AsyncSession, start: datetime, end: datetime, page: int = PAGE
) -> AsyncIterator[list[LedgerRow]]:
    """Yield the hazards found in [start, end), oldest first, a page at a time, with their fix and photos."""
    after: tuple[datetime, int] | None = None
    while True:
        query = (
            select(
                Hazard,
                Enterprise.name,
                Person.display_name,
                Person.role,
                func.coalesce(Inspection.name, Inspection.activity),
                _OFFICER.display_name,
            )
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .join(Person, Person.id == Hazard.reporter_id)
            .outerjoin(_OFFICER, _OFFICER.id == Enterprise.officer_id)
            .outerjoin(Inspection, Inspection.id == Hazard.inspection_id)
            .where(Hazard.found_at >= start, Hazard.found_at < end)
            .order_by(Hazard.found_at, Hazard.id)
            .limit(page)
        )
        if after is not None:
            query = query.where(tuple_(Hazard.found_at, Hazard.id) > tuple_(*after))
        hazards = (await session.execute(query)).all()
        if not hazards:
            return
        rows: dict[int, LedgerRow] = {}
        for h, name, reporter, role, inspection, officer in hazards:
            rows[h.id] = LedgerRow(
                code=h.code,
                found_at=h.found_at,
                enterprise=name,
                description=h.description,
                category=h.category,
                level=h.level,
                mode=h.mode,
                five=dict(h.five_in_place or {}),
                due_date=h.due_date,
                status=h.status,
                location=h.location,
                found_by=found_by(h.source, role),
                reporter=reporter,
                activity=inspection,  # the inspection it was found on (`/inspection start`, or a back-filled one), named
                backfilled=h.backfilled_at is not None,
                officer=officer or "",
            )
        ids = list(rows)
        linked = await session.execute(
            select(CampaignHazard.hazard_id, Campaign.title)
            .join(Campaign, Campaign.id == CampaignHazard.campaign_id)
            .where(CampaignHazard.hazard_id.in_(ids))
        )
        for hazard_id, title in linked.all():
            rows[hazard_id].activity = rows[hazard_id].activity or title
        events = await session.execute(
            select(HazardEvent.hazard_id, HazardEvent.action, HazardEvent.at, HazardEvent.note, Person.display_name)
            .outerjoin(Person, Person.id == HazardEvent.actor_id)
            .where(HazardEvent.hazard_id.in_(ids), HazardEvent.action.in_(("fix", "accept")))
            .order_by(HazardEvent.id)
        )
        for hazard_id, action, at, note, who in events.all():
            row = rows[hazard_id]
            if action == "fix":  # the newest fix wins
                row.fix_note, row.fixer, row.fixed_at = note, who, at
            else:
                row.verifier, row.verified_at = who, at
        photos = await session.execute(
            select(HazardPhoto.hazard_id, HazardPhoto.phase, Photo.path)
            .join(Photo, Photo.id == HazardPhoto.photo_id)
            .where(HazardPhoto.hazard_id.in_(ids))
            .order_by(HazardPhoto.id)
        )
        for hazard_id, phase, path in photos.all():
            (rows[hazard_id].before if phase == "before" else rows[hazard_id].after).append(path)
        yield list(rows.values())
        last = hazards[-1][0]
        after = (last.found_at, last.id)


@dataclass
class EnterpriseStats:
    """Sheet 2, one line: general and major hazards found and rectified, plans and funds of major ones."""

    enterprise: str
    general_found: int = 0
    general_rectified: int = 0
    major_found: int = 0
    major_rectified: int = 0
    major_with_plan: int = 0
    major_funds: float = 0.0  # 万元

    @staticmethod
    def rate(done: int, found: int) -> float | None:
        """Return done / found (None when nothing was found)."""
        return done / found if found else None


async def enterprise_stats(session: AsyncSession, start: datetime, end: datetime) -> list[EnterpriseStats]:
    """Return sheet 2 for hazards found in [start, end): one grouped count, and the major hazards' plans."""
    from sqlalchemy import func

    by_id: dict[int, EnterpriseStats] = {}
    names = dict((await session.execute(select(Enterprise.id, Enterprise.name))).all())
    counts = await session.execute(
        select(Hazard.enterprise_id, Hazard.level, Hazard.status, func.count())
        .where(Hazard.found_at >= start, Hazard.found_at < end, Hazard.status != HazardStatus.WITHDRAWN)
        .group_by(Hazard.enterprise_id, Hazard.level, Hazard.status)
    )
    for ent_id, level, status, n in counts.all():
        stats = by_id.setdefault(ent_id, EnterpriseStats(names.get(ent_id, str(ent_id))))
        done = n if status == HazardStatus.CLOSED else 0
        if level == Level.MAJOR:
            stats.major_found += n
            stats.major_rectified += done
        else:
            stats.general_found += n
            stats.general_rectified += done
    majors = await session.execute(
        select(Hazard.enterprise_id, Hazard.five_in_place).where(
            Hazard.found_at >= start,
            Hazard.found_at < end,
            Hazard.level == Level.MAJOR,
            Hazard.status != HazardStatus.WITHDRAWN,
        )
    )
    plans: dict[int, int] = defaultdict(int)
    for ent_id, five in majors.all():
        five = five or {}
        if five.get("plan"):
            plans[ent_id] += 1
        by_id[ent_id].major_funds += funds_in_10k(five.get("funds"))
    for ent_id, n in plans.items():
        by_id[ent_id].major_with_plan = n
    return sorted(by_id.values(), key=lambda s: s.enterprise)
