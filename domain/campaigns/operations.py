"""The campaign domain (专项行动): a task for every enterprise, self-inspection reports (自查报告), review.

A task goes `pending` → `submitted` → `accepted`, or `submitted` → `returned` (with a reason) →
`submitted` again. Each operation checks who may do it (`domain/park/rules.py`) and the task's
status (`RULES`), changes the row under a lock, writes a `campaign_events` row and an audit row, and
returns who must be told. Overdue is derived: a task still owed after the campaign's due date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.campaigns.queries import by_code, task_of
from domain.campaigns.rules import (
    CAMPAIGN_CODE,
    PREFIX,
    RULES,
    Change,
    Refusal,
    Refused,
    S,
    may_report_campaign,
    may_review_report,
)
from domain.codes import issue_code
from domain.park.queries import active_ids, people_of_enterprise, people_with_role
from domain.park.rules import Perm, is_manager, role_allows
from storage.attachments import attach_files
from storage.audit import audit
from storage.db import dialect_insert
from storage.enums import MANAGER_ROLES, CampaignStatus, Role, TaskStatus
from storage.models import (
    Campaign,
    CampaignEvent,
    CampaignHazard,
    CampaignTask,
    Document,
    Hazard,
    Person,
    Photo,
)

# --- operations -------------------------------------------------------------------------------


async def launch(
    session: AsyncSession,
    *,
    actor: Person,
    title: str,
    requirements: str,
    due_date: date,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
    year: int,
    at: datetime,
) -> Campaign:
    """Launch a campaign: its code, one task per active enterprise, its plan files."""
    if not role_allows(actor.role, Perm.CAMPAIGN_SEND):
        raise Refused(Refusal.NOT_ALLOWED)
    campaign = Campaign(
        code=await issue_code(session, PREFIX, year),
        title=title,
        requirements=requirements,
        due_date=due_date,
        status=CampaignStatus.OPEN,
        author_id=actor.id,
        created_at=at,
        updated_at=at,
    )
    session.add(campaign)
    set_committed_value(campaign, "author", actor)
    await session.flush()
    for enterprise_id in await active_ids(session):
        session.add(CampaignTask(campaign_id=campaign.id, enterprise_id=enterprise_id, status=S.PENDING))
    await session.flush()
    event = await _record(
        session, campaign, None, actor, "launch", at, data={"due_date": due_date.isoformat()}
    )
    await attach_files(session, "campaign", campaign.id, photos, documents, at, event.id)
    return campaign


async def submit(
    session: AsyncSession,
    campaign: Campaign,
    actor: Person,
    note: str,
    at: datetime,
    *,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
) -> Change:
    """Submit (or resubmit after a return) the actor's enterprise's report; managers must review it."""
    if actor.enterprise_id is None or not may_report_campaign(actor, actor.enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED)
    if campaign.status != CampaignStatus.OPEN:
        raise Refused(Refusal.CLOSED)
    task = await task_of(session, campaign.id, actor.enterprise_id)
    if task is None:
        raise Refused(Refusal.NOT_LISTED)
    await _lock(session, task)
    event = await _transition(session, task, actor, "submit", at, note=note or None)
    task.note = note or None
    task.reporter_id = actor.id
    task.submitted_at = at
    task.return_reason = None
    await attach_files(session, "task", task.id, photos, documents, at, event.id)
    managers = [m for m in await people_with_role(session, None, MANAGER_ROLES) if m.id != actor.id]
    return Change(task, event, managers)


async def accept(session: AsyncSession, task: CampaignTask, actor: Person, at: datetime) -> Change:
    """Accept a submitted report; the reporter and the enterprise's leads are told."""
    await _lock(session, task)
    if not may_review_report(actor, task.reporter_id):
        own = is_manager(actor) and actor.id == task.reporter_id
        raise Refused(Refusal.OWN_REPORT if own else Refusal.NOT_ALLOWED, task)
    event = await _transition(session, task, actor, "accept", at)
    task.reviewer_id = actor.id
    task.reviewed_at = at
    return Change(task, event, await _enterprise_side(session, task, actor))


async def return_report(
    session: AsyncSession, task: CampaignTask, actor: Person, reason: str, at: datetime
) -> Change:
    """Return a submitted report with a reason (退回); the reporter and the leads are told and submit again."""
    await _lock(session, task)
    if not may_review_report(actor, task.reporter_id):
        own = is_manager(actor) and actor.id == task.reporter_id
        raise Refused(Refusal.OWN_REPORT if own else Refusal.NOT_ALLOWED, task)
    event = await _transition(session, task, actor, "return", at, note=reason)
    task.reviewer_id = actor.id
    task.reviewed_at = at
    task.return_reason = reason
    return Change(task, event, await _enterprise_side(session, task, actor))


async def link_hazard(
    session: AsyncSession, campaign: Campaign, hazard: Hazard, actor: Person, at: datetime
) -> bool:
    """Link a hazard found while answering a campaign to it; False when it was linked already (to it)."""
    if not (is_manager(actor) or actor.role == Role.INSPECTOR or actor.enterprise_id == hazard.enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED)
    current = await session.scalar(select(CampaignHazard).where(CampaignHazard.hazard_id == hazard.id))
    if current is not None:
        if current.campaign_id != campaign.id:
            raise Refused(Refusal.LINKED)
        return False
    insert = dialect_insert(session)
    await session.execute(
        insert(CampaignHazard)
        .values(campaign_id=campaign.id, hazard_id=hazard.id, created_at=at)
        .on_conflict_do_nothing(index_elements=["hazard_id"])
    )
    await _record(session, campaign, None, actor, "link_hazard", at, data={"hazard": hazard.code})
    return True


# --- inside the operations --------------------------------------------------------------------


async def _lock(session: AsyncSession, task: CampaignTask) -> None:
    """Re-read the task under a row lock, so two presses at once act on the same, current state."""
    await session.refresh(task, [c.key for c in CampaignTask.__mapper__.column_attrs], with_for_update=True)


async def _enterprise_side(session: AsyncSession, task: CampaignTask, actor: Person) -> list[Person]:
    """Return who hears a review: the reporter and the enterprise's leads."""
    told: dict[int, Person] = {}
    if task.reporter_id is not None:
        reporter = await session.get(Person, task.reporter_id)
        if reporter is not None:
            told[reporter.id] = reporter
    for lead in await people_of_enterprise(session, task.enterprise_id, [Role.LEAD]):
        told.setdefault(lead.id, lead)
    return [p for p in told.values() if p.id != actor.id]


async def _transition(
    session: AsyncSession,
    task: CampaignTask,
    actor: Person,
    step: str,
    at: datetime,
    *,
    note: str | None = None,
) -> CampaignEvent:
    """Move a task by the rule of one step, or raise WRONG_STATUS; write the event."""
    sources, target = RULES[step]
    if task.status not in sources:
        raise Refused(Refusal.WRONG_STATUS, task)
    before = task.status
    task.status = target
    return await _record(
        session, task.campaign, task, actor, step, at, from_status=before, to_status=target, note=note
    )


async def _record(
    session: AsyncSession,
    campaign: Campaign,
    task: CampaignTask | None,
    actor: Person | None,
    action: str,
    at: datetime,
    *,
    from_status: TaskStatus | None = None,
    to_status: TaskStatus | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CampaignEvent:
    """Write one campaign event and its audit row."""
    campaign.updated_at = at
    event = CampaignEvent(
        campaign_id=campaign.id,
        task_id=task.id if task is not None else None,
        at=at,
        actor_id=actor.id if actor is not None else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
    )
    session.add(event)
    await session.flush()
    await audit(
        session,
        at,
        actor,
        f"campaign.{action}",
        "campaign",
        campaign.code,
        enterprise_id=task.enterprise_id if task is not None else None,
        from_status=from_status,
        to_status=to_status,
    )
    return event


@dataclass(frozen=True)
class NamedCampaign:
    """The campaign a hazard's text names: its code as written, and the campaign (None: no such code)."""

    code: str
    campaign: Campaign | None


async def link_from_text(
    session: AsyncSession, actor: Person, hazard: Hazard, text: str, now: datetime
) -> NamedCampaign | None:
    """Link a newly reported hazard to the campaign its text names (ZX-…).

    Return None when the text names no campaign or the link is refused (a hazard of another campaign).
    """
    match = CAMPAIGN_CODE.search(text)
    if match is None:
        return None
    found = await by_code(session, match.group(0))
    if found is None:
        return NamedCampaign(match.group(0).upper(), None)
    try:
        await link_hazard(session, found, hazard, actor, now)
    except Refused:
        return None
    return NamedCampaign(found.code, found)
