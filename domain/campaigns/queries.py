"""Reading campaigns, their tasks, progress, the campaigns × enterprises matrix and linked hazards.

The writes are `domain/campaigns/operations.py`; what counts as overdue is `domain/campaigns/rules.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.campaigns.rules import PREFIX, Progress, is_overdue
from domain.codes import normal_code
from storage.enums import OWED_TASKS, CampaignStatus, TaskStatus
from storage.models import (
    Campaign,
    CampaignEvent,
    CampaignHazard,
    CampaignTask,
    Enterprise,
    Hazard,
)

WITH_TASK = (joinedload(CampaignTask.enterprise), joinedload(CampaignTask.campaign).joinedload(Campaign.author))


async def get(session: AsyncSession, campaign_id: int) -> Campaign | None:
    """Return one campaign by id."""
    return await session.get(Campaign, campaign_id, options=[joinedload(Campaign.author)])


async def by_code(session: AsyncSession, code: str) -> Campaign | None:
    """Return one campaign by its code (`zx-2026-2` works too)."""
    normal = normal_code(code)
    if normal is None or not normal.startswith(PREFIX):
        return None
    return await session.scalar(
        select(Campaign).options(joinedload(Campaign.author)).where(Campaign.code == normal)
    )


async def by_title(session: AsyncSession, text: str) -> list[Campaign]:
    """Return the open campaigns whose title contains the text (or the text contains the title)."""
    text = text.strip()
    if not text:
        return []
    rows = await session.scalars(
        select(Campaign).options(joinedload(Campaign.author)).where(Campaign.status == CampaignStatus.OPEN)
    )
    return [c for c in rows.unique().all() if text in c.title or c.title in text]


async def open_campaigns(session: AsyncSession) -> Sequence[Campaign]:
    """Return the open campaigns, oldest first."""
    rows = await session.scalars(
        select(Campaign)
        .options(joinedload(Campaign.author))
        .where(Campaign.status == CampaignStatus.OPEN)
        .order_by(Campaign.id)
    )
    return rows.unique().all()


async def tasks(session: AsyncSession, campaign_id: int) -> Sequence[CampaignTask]:
    """Return a campaign's tasks with their enterprises, by enterprise name."""
    rows = await session.scalars(
        select(CampaignTask)
        .options(*WITH_TASK)
        .join(Enterprise, Enterprise.id == CampaignTask.enterprise_id)
        .where(CampaignTask.campaign_id == campaign_id)
        .order_by(Enterprise.name)
    )
    return rows.unique().all()


async def get_task(session: AsyncSession, task_id: int) -> CampaignTask | None:
    """Return one task with its campaign and enterprise."""
    return await session.get(CampaignTask, task_id, options=list(WITH_TASK))


async def task_of(session: AsyncSession, campaign_id: int, enterprise_id: int) -> CampaignTask | None:
    """Return one enterprise's task in a campaign."""
    return await session.scalar(
        select(CampaignTask)
        .options(*WITH_TASK)
        .where(CampaignTask.campaign_id == campaign_id, CampaignTask.enterprise_id == enterprise_id)
    )


async def submission_events(session: AsyncSession, task_id: int) -> list[CampaignEvent]:
    """Return a task's submissions and additions (补充材料), newest first."""
    rows = await session.scalars(
        select(CampaignEvent)
        .where(CampaignEvent.task_id == task_id, CampaignEvent.action.in_(("submit", "add")))
        .order_by(CampaignEvent.id.desc())
    )
    return list(rows.all())


async def progress(session: AsyncSession, campaign: Campaign, today: date) -> Progress:
    """Count one campaign's tasks by status, and how many are overdue on `today` (park date)."""
    rows = await tasks(session, campaign.id)
    return Progress(
        campaign=campaign,
        total=len(rows),
        submitted=sum(t.status in (TaskStatus.SUBMITTED, TaskStatus.ACCEPTED) for t in rows),
        accepted=sum(t.status == TaskStatus.ACCEPTED for t in rows),
        overdue=sum(is_overdue(t, campaign, today) for t in rows),
    )


async def launched_since(session: AsyncSession, start: datetime) -> Sequence[Campaign]:
    """Return the campaigns launched at or after `start`, oldest first."""
    rows = await session.scalars(select(Campaign).where(Campaign.created_at >= start).order_by(Campaign.id))
    return rows.all()


async def matrix(
    session: AsyncSession, campaigns: Sequence[Campaign]
) -> tuple[list[Enterprise], dict[tuple[int, int], CampaignTask]]:
    """Return the enterprises with a task in any of the campaigns, and each (campaign id, enterprise id) task."""
    cells: dict[tuple[int, int], CampaignTask] = {}
    enterprises: dict[int, Enterprise] = {}
    for campaign in campaigns:
        for task in await tasks(session, campaign.id):
            cells[(campaign.id, task.enterprise_id)] = task
            enterprises[task.enterprise_id] = task.enterprise
    return sorted(enterprises.values(), key=lambda e: e.name), cells


async def linked_hazards(session: AsyncSession, campaign_id: int) -> list[Hazard]:
    """Return the hazards linked to a campaign, oldest first."""
    rows = await session.scalars(
        select(Hazard)
        .join(CampaignHazard, CampaignHazard.hazard_id == Hazard.id)
        .options(joinedload(Hazard.enterprise))
        .where(CampaignHazard.campaign_id == campaign_id)
        .order_by(Hazard.id)
    )
    return list(rows.unique().all())


async def owed_tasks(session: AsyncSession, enterprise_id: int) -> Sequence[CampaignTask]:
    """Return an enterprise's tasks in open campaigns still to be submitted (or submitted again), the
    earliest due first."""
    rows = await session.scalars(
        select(CampaignTask)
        .options(*WITH_TASK)
        .join(Campaign, Campaign.id == CampaignTask.campaign_id)
        .where(
            Campaign.status == CampaignStatus.OPEN,
            CampaignTask.enterprise_id == enterprise_id,
            CampaignTask.status.in_(OWED_TASKS),
        )
        .order_by(Campaign.due_date, Campaign.id)
    )
    return rows.unique().all()


async def submitted_tasks(session: AsyncSession) -> Sequence[CampaignTask]:
    """Return the submissions waiting for review (all of them: few wait at a time), the longest waiting first."""
    rows = await session.scalars(
        select(CampaignTask)
        .options(*WITH_TASK)
        .where(CampaignTask.status == TaskStatus.SUBMITTED)
        .order_by(CampaignTask.submitted_at, CampaignTask.id)
    )
    return rows.unique().all()


async def recent(session: AsyncSession, limit: int = 12) -> Sequence[Campaign]:
    """Return the newest campaigns (open or not), newest first: the columns of the desk's matrix."""
    rows = await session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit))
    return rows.all()
