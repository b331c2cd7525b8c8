"""Deadline reminders to the enterprises that still owe a campaign's submission, and the card's edit the
day after its due date. Not a router: `schedules/campaigns.py` sends these on its schedule.

When they are due is `domain/campaigns/rules.reminder_due`; the once-a-day cap is `storage/reminders.py`.
Lists of enterprises are never sent to a group: a lead the bot cannot write to is named once, alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from domain.campaigns import queries as campaign_queries
from domain.campaigns import rules as campaign_rules
from domain.park.queries import people_of_enterprise
from handlers import texts as T
from handlers.broadcast import mention, remind_enterprises
from handlers.campaigns.card import campaign_edit, card_key_of, submit_button
from handlers.util import Reach, fmt_date, recipients
from storage import reminders
from storage.enums import OWED_TASKS, CampaignStatus, Role, TaskStatus
from storage.models import Campaign, CampaignTask


async def campaign_reminders(
    session: AsyncSession, found: Campaign, settings: Settings, now: datetime, reach: Reach
) -> tuple[list[Reply], int]:
    """Build deadline reminders for the enterprises that still owe a submission; return them and how many.

    From `REMIND_DAYS_BEFORE` days before the due date (and while overdue, up to `REMIND_DAYS_AFTER`
    days), each enterprise is reminded at most once a park day, privately to its leads; a lead the bot
    cannot write to privately is named once in the park groups. Nothing in quiet hours.
    """
    park = settings.park
    if found.status != CampaignStatus.OPEN:
        return [], 0
    today = park.day(now)
    subject = f"campaign:{found.id}"
    replies: list[Reply] = []
    # The day after the due date the card shows the overdue count and 已过截止日期: one edit, claimed once.
    past_due = campaign_rules.first_overdue_day(found)
    if today >= past_due and await reminders.claim(session, subject, "card:due", past_due, now):
        replies.append(await campaign_edit(session, found, settings, now))
    if park.is_quiet(now) or not campaign_rules.reminder_due(found, today):
        return replies, 0
    owed = [(t.enterprise_id, t) for t in await campaign_queries.tasks(session, found.id) if t.status in OWED_TASKS]

    async def remind(task: CampaignTask) -> list[Reply]:
        return await _remind_task(session, found, task, today, now, reach, subject)

    reminded, count = await remind_enterprises(session, subject, owed, today, now, remind)
    return replies + reminded, count


async def _remind_task(
    session: AsyncSession,
    found: Campaign,
    task: CampaignTask,
    today: date,
    now: datetime,
    reach: Reach,
    subject: str,
) -> list[Reply]:
    """Remind one enterprise's leads privately, with the 提交自查报告 button; name the others once in the groups."""
    leads = list(await people_of_enterprise(session, task.enterprise_id, [Role.LEAD]))
    days = campaign_rules.days_late(found, today)
    text = T.CAMPAIGN_REMIND.format(
        enterprise=task.enterprise.name,
        code=found.code,
        title=found.title,
        due=fmt_date(found.due_date),
        late=T.CAMPAIGN_REMIND_LATE.format(days=days) if days else "",
    )
    if task.status == TaskStatus.RETURNED and task.return_reason:
        text += T.CAMPAIGN_REMIND_RETURNED.format(reason=task.return_reason)
    replies: list[Reply] = []
    reached = recipients(leads, reach)
    if reached:
        replies.append(Reply(text=text, buttons=((submit_button(found),),), people=reached, about=card_key_of(found)))
    for lead in leads:
        if reach(lead):
            continue
        if await reminders.claim(session, subject, f"mention:{lead.id}", found.created_at.date(), now):
            said = T.CAMPAIGN_REMIND_GROUP.format(name=mention(lead), code=found.code)  # never the enterprise
            replies.append(Reply(text=said, to_groups=True, about=card_key_of(found)))
    return replies
