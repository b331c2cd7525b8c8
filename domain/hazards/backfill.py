"""A hazard entered from last year's paper records (补录): found, fixed and accepted on their real dates.

The hazard and its three events (`report`, `fix`, `accept`) carry the real dates, so the figures of those
days, weeks and years count it (`domain/reports/queries.py` reads `found_at` and `closed_at`); its row
says when it was back-filled (`backfilled_at`, sealed into the chain like every printed field) and each
event's audit row is dated when it was entered, by whom (`operations._record`'s `recorded_at`). Nobody is
told: the caller sends no broadcast, and a closed hazard is never reminded of.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import codes
from domain.hazards.operations import _record
from domain.hazards.rules import Action, Refusal, S
from domain.outcome import Change, Refused
from domain.park.rules import Perm, role_allows
from storage.enums import Level, Mode, Source
from storage.models import Enterprise, Hazard, Person


async def backfill(
    session: AsyncSession,
    *,
    actor: Person,
    enterprise_id: int,
    description: str,
    location: str,
    category: str,
    mode: Mode,
    due_date: date | None,
    found_at: datetime,
    fixed_at: datetime,
    accepted_at: datetime,
    fix_note: str,
    now: datetime,
    inspection_id: int | None = None,
) -> Change[Hazard]:
    """Record a closed hazard of the past with its real dates: reported, rectified, accepted (销号).

    The dates must run found ≤ fixed ≤ accepted ≤ now (the handler says which is wrong before calling);
    a hazard still open today is reported with /hazard, so that it is reminded of. `inspection_id`: the
    (back-filled) inspection it was found on (`queries.inspection_named`), counted as its find.
    """
    if not role_allows(actor.role, Perm.BACKFILL):
        raise Refused(Refusal.NOT_ALLOWED)
    if not found_at <= fixed_at <= accepted_at <= now:
        raise ValueError("back-filled dates out of order")
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise Refused(Refusal.ENTERPRISE_INACTIVE)
    status = S.RECTIFYING if mode == Mode.DEADLINE and due_date is not None else S.REPORTED
    hazard = Hazard(
        code=await codes.issue_code(session, codes.HAZARD_PREFIX, found_at.year),
        enterprise_id=enterprise.id,
        description=description,
        location=location,
        category=category,
        level=Level.GENERAL,
        mode=mode,
        due_date=due_date,
        status=status,
        source=Source.INSPECTION,
        five_in_place={},
        reporter_id=actor.id,
        found_at=found_at,
        created_at=found_at,
        updated_at=found_at,
        inspection_id=inspection_id,
        backfilled_at=now,
    )
    session.add(hazard)
    set_committed_value(hazard, "enterprise", enterprise)
    set_committed_value(hazard, "reporter", actor)
    await session.flush()
    mark = {"backfill": True, "recorded_at": now.isoformat()}
    data = {
        "level": Level.GENERAL,
        "mode": mode,
        "due_date": due_date.isoformat() if due_date else None,
        "category": category,
        **mark,
    }
    await _record(session, hazard, actor, Action.REPORT, found_at, to_status=status, data=data, recorded_at=now)
    await _record(
        session, hazard, actor, Action.FIX, fixed_at, to_status=S.AWAITING_VERIFICATION, note=fix_note or None,
        data=mark, recorded_at=now,
    )  # fmt: skip
    event = await _record(session, hazard, actor, Action.ACCEPT, accepted_at, to_status=S.CLOSED, data=mark, recorded_at=now)
    return Change(hazard, event)
