"""The campaign domain (专项行动): a task for every enterprise, its self-inspection (自查报告, a submission
in code), and the review.

A task goes `pending` → `submitted` → `accepted`, or `submitted` → `returned` (with a reason) →
`submitted` again. Each operation checks its rule (`domain/campaigns/rules.py`: who may, `RULES` for the
status), changes the row under a lock, writes a `campaign_events` row and an audit row
(`domain/events.py`), and returns a `domain.outcome.Change` of the task saying who must be told (or
raises `Refused`). Overdue is derived: a task still owed after the campaign's due date. Reads are
`domain/campaigns/queries.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import events
from domain.campaigns.queries import by_code, task_of
from domain.campaigns.rules import (
    CAMPAIGN_CODE,
    PREFIX,
    Refusal,
    Step,
    Tell,
    check_review,
    check_step,
    may_launch,
    may_link_hazard,
    may_submit,
)
from domain.codes import issue_code
from domain.outcome import Change, Refused
from domain.park.queries import people_with_role
from storage.attachments import attach_files, files
from storage.db import dialect_insert
from storage.enums import MANAGER_ROLES, CampaignStatus, TaskStatus
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
) -> Change[Campaign]:
    """Launch a campaign: its code, one task per active enterprise, its plan files."""
    if not may_launch(actor):
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
    await events.open_for_enterprises(
        session,
        campaign,
        actor,
        lambda enterprise_id: CampaignTask(
            campaign_id=campaign.id, enterprise_id=enterprise_id, status=TaskStatus.PENDING
        ),
    )
    event = await _record(session, campaign, None, actor, "launch", at, data={"due_date": due_date.isoformat()})
    await attach_files(session, "campaign", campaign.id, photos, documents, at, event.id)
    return Change(campaign, event)


async def backfill(
    session: AsyncSession,
    *,
    actor: Person,
    title: str,
    due_date: date,
    happened_at: datetime,
    year: int,
    now: datetime,
) -> Change[Campaign]:
    """Record a campaign of the past (补录) with its real launch date: closed, without tasks (no enterprise
    is asked for a report now, nobody is reminded); the figures count it in the period it ran. Its
    `backfill` event happened then; its audit row says who entered it and when."""
    if not may_launch(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    campaign = Campaign(
        code=await issue_code(session, PREFIX, year),
        title=title,
        requirements="",
        due_date=due_date,
        status=CampaignStatus.CLOSED,
        author_id=actor.id,
        created_at=happened_at,
        updated_at=happened_at,
        backfilled_at=now,
    )
    session.add(campaign)
    set_committed_value(campaign, "author", actor)
    await session.flush()
    data = {"due_date": due_date.isoformat(), "recorded_at": now.isoformat()}
    event = CampaignEvent(campaign_id=campaign.id, at=happened_at, actor_id=actor.id, action="backfill", data=data)
    await events.record(
        session, event, entity="campaign", code=campaign.code, action="backfill", actor=actor, at=now,
        happened_at=happened_at.isoformat(),
    )  # fmt: skip
    return Change(campaign, event)


async def submit(
    session: AsyncSession,
    campaign: Campaign,
    actor: Person,
    note: str,
    at: datetime,
    *,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
) -> Change[CampaignTask]:
    """Submit (or submit again after a return) the actor's enterprise's self-inspection; managers review it."""
    if not may_submit(actor, actor.enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED)
    if campaign.status != CampaignStatus.OPEN:
        raise Refused(Refusal.CLOSED)
    task = await task_of(session, campaign.id, actor.enterprise_id) if actor.enterprise_id is not None else None
    if task is None:
        raise Refused(Refusal.NOT_LISTED)
    await events.lock(session, task)
    event = await _transition(session, task, actor, Step.SUBMIT, at, note=note or None)
    task.note = note or None
    task.reporter_id = actor.id
    task.submitted_at = at
    task.return_reason = None
    await attach_files(session, "task", task.id, photos, documents, at, event.id)
    managers = [m for m in await people_with_role(session, None, MANAGER_ROLES) if m.id != actor.id]
    return Change(task, event, {Tell.SUBMITTED: managers})


async def add_to_submission(
    session: AsyncSession,
    task: CampaignTask,
    actor: Person,
    note: str,
    at: datetime,
    *,
    photos: Sequence[Photo] = (),
    documents: Sequence[Document] = (),
    event_id: int | None = None,
) -> Change[CampaignTask]:
    """Add text, photos or files to a submission still in review (补充材料); managers are told.

    The submission's earlier text stays (each addition is its own `add` event, shown newest first).
    With `event_id` (the rest of an album the submission came with) the files join that event and no
    event is written. Files the submission has already are not added twice (`added` counts the new ones).
    """
    if not may_submit(actor, task.enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED, task)
    await events.lock(session, task)
    check_step(task, Step.ADD)
    had = await files(session, "task", task.id)
    photos = [p for p in photos if p.id not in {f.photo_id for f in had}]
    documents = [d for d in documents if d.id not in {f.document_id for f in had}]
    if event_id is not None:  # the rest of an album: its files join the submission's event
        event = await session.get(CampaignEvent, event_id)
        if event is None or event.task_id != task.id or not (photos or documents):
            return Change(task)
    elif note or photos or documents:
        data = {"photos": len(photos), "documents": len(documents)}
        event = await _record(session, task.campaign, task, actor, "add", at, note=note or None, data=data)
    else:
        return Change(task)
    added = await attach_files(session, "task", task.id, photos, documents, at, event.id)
    managers = [m for m in await people_with_role(session, None, MANAGER_ROLES) if m.id != actor.id]
    return Change(task, event, {Tell.ADDED: managers}, added=added)


async def accept(session: AsyncSession, task: CampaignTask, actor: Person, at: datetime) -> Change[CampaignTask]:
    """Accept a submission; the submitter and the enterprise's leads are told."""
    return await _review(session, task, actor, Step.ACCEPT, at)


async def return_submission(
    session: AsyncSession, task: CampaignTask, actor: Person, reason: str, at: datetime
) -> Change[CampaignTask]:
    """Return a submission with a reason (退回); the submitter and the leads are told and submit again."""
    return await _review(session, task, actor, Step.RETURN, at, reason=reason)


async def link_hazard(
    session: AsyncSession, campaign: Campaign, hazard: Hazard, actor: Person, at: datetime
) -> Change[Campaign]:
    """Link a hazard found while answering a campaign to it; no event when it was linked already (to it)."""
    if not may_link_hazard(actor, hazard.enterprise_id):
        raise Refused(Refusal.NOT_ALLOWED)
    current = await session.scalar(select(CampaignHazard).where(CampaignHazard.hazard_id == hazard.id))
    if current is not None:
        if current.campaign_id != campaign.id:
            raise Refused(Refusal.LINKED)
        return Change(campaign)
    insert = dialect_insert(session)
    await session.execute(
        insert(CampaignHazard)
        .values(campaign_id=campaign.id, hazard_id=hazard.id, created_at=at)
        .on_conflict_do_nothing(index_elements=["hazard_id"])
    )
    event = await _record(session, campaign, None, actor, "link_hazard", at, data={"hazard": hazard.code})
    return Change(campaign, event)


# --- inside the operations --------------------------------------------------------------------


async def _review(
    session: AsyncSession, task: CampaignTask, actor: Person, step: Step, at: datetime, *, reason: str | None = None
) -> Change[CampaignTask]:
    """Accept or return a submission under the task's lock; tell the submitter and the enterprise's leads."""
    await events.lock(session, task)
    check_review(actor, task)
    event = await _transition(session, task, actor, step, at, note=reason)
    task.reviewer_id = actor.id
    task.reviewed_at = at
    if step == Step.RETURN:
        task.return_reason = reason
    submitter = await session.get(Person, task.reporter_id) if task.reporter_id is not None else None
    told = await events.with_leads(session, [(submitter, task.enterprise_id)], actor)
    return Change(task, event, {Tell.RETURNED if step == Step.RETURN else Tell.ACCEPTED: told})


async def _transition(
    session: AsyncSession,
    task: CampaignTask,
    actor: Person,
    step: Step,
    at: datetime,
    *,
    note: str | None = None,
) -> CampaignEvent:
    """Move a task by the rule of one step, or raise WRONG_STATUS; write the event."""
    target = check_step(task, step)
    before = task.status
    task.status = target
    return await _record(
        session, task.campaign, task, actor, step.value, at, from_status=before, to_status=target, note=note
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
    return await events.record(
        session,
        event,
        entity="campaign",
        code=campaign.code,
        action=action,
        actor=actor,
        at=at,
        enterprise_id=task.enterprise_id if task is not None else None,
        from_status=from_status,
        to_status=to_status,
    )


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
