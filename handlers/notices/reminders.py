"""The reminders to enterprises that have not answered a notice, and the closing edit of a meeting's card
when it starts. Not a router: `schedules/notices.py` sends these on its schedule, `receipts.py` on /remind.

When a reminder is due is `domain/notices/rules.reminder_due`; the once-a-day cap is `storage/reminders.py`.
Lists of enterprises are never sent to a group: a person the bot cannot write to is named once, alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.park.queries import people_of_enterprise
from handlers import texts as T
from handlers.broadcast import mention, remind_enterprises
from handlers.notices.card import card_edit, card_key_of, fmt_when, receipt_buttons
from handlers.util import Reach, recipients
from storage import reminders
from storage.enums import NoticeKind, NoticeStatus, Role
from storage.models import Notice, NoticeReceipt


async def notice_reminders(
    session: AsyncSession,
    notice: Notice,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    force: bool = False,
) -> tuple[list[Reply], int]:
    """Build the reminders to the enterprises that have not answered; return them and how many were reminded.

    Each enterprise is reminded at most once a park day (`storage.reminders.claim`), privately to its
    leads (its members when it has no lead) with the 收到 / 请假 buttons. A person the bot cannot write to
    privately is named once in the park groups (never a list of enterprises). Nothing in quiet hours;
    `force` (/remind) skips the schedule, not the cap.
    """
    park = settings.park
    subject = f"notice:{notice.id}"
    if notice.status == NoticeStatus.OPEN and notice.starts_at is not None and notice_rules.started(notice, now):
        # Once the meeting starts its card closes (no buttons, 回执已截止): one edit, claimed like a reminder.
        if await reminders.claim(session, subject, "card:started", park.day(notice.starts_at), now):
            return [await card_edit(session, notice, settings, now)], 0
        return [], 0
    if park.is_quiet(now) or notice.status != NoticeStatus.OPEN:
        return [], 0
    delay = timedelta(hours=park.notice_reminder_hours)
    if not force and not notice_rules.reminder_due(notice, now, park.tz, delay=delay, days=park.notice_reminder_days):
        return [], 0
    owed = [(r.enterprise_id, r) for r in await notice_queries.unanswered(session, notice.id)]
    # An enterprise with nobody registered cannot be reminded: it is not claimed nor counted as reminded
    # (`nobody_to_remind` says which, so a manager hears the truth).
    nobody = set(await nobody_to_remind(session, [e for e, _ in owed]))
    owed = [(e, r) for e, r in owed if e not in nobody]

    async def remind(receipt: NoticeReceipt) -> list[Reply]:
        return await _remind_enterprise(session, notice, receipt, settings, now, reach, subject)

    return await remind_enterprises(session, subject, owed, park.day(now), now, remind)


async def nobody_to_remind(session: AsyncSession, enterprise_ids: list[int]) -> list[int]:
    """Return the enterprises (of those given) that have no lead or member registered in the bot."""
    return [
        e for e in enterprise_ids if not await people_of_enterprise(session, e, [Role.LEAD, Role.MEMBER])
    ]


async def _remind_enterprise(
    session: AsyncSession,
    notice: Notice,
    receipt: NoticeReceipt,
    settings: Settings,
    now: datetime,
    reach: Reach,
    subject: str,
) -> list[Reply]:
    """Remind one enterprise's leads (its members when it has none) privately, or name them once in the groups."""
    people = list(await people_of_enterprise(session, receipt.enterprise_id, [Role.LEAD]))
    if not people:
        people = list(await people_of_enterprise(session, receipt.enterprise_id, [Role.MEMBER]))
    when = T.REMIND_WHEN.format(when=fmt_when(notice.starts_at, settings)) if notice.starts_at else ""
    text = T.REMIND_TEXT.format(
        enterprise=receipt.enterprise.name,
        kind=T.NOTICE_KIND_NAMES[notice.kind],
        code=notice.code,
        title=notice.title,
        when=when,
    )
    replies: list[Reply] = []
    reached = recipients(people, reach)
    if reached:
        replies.append(
            Reply(text=text, buttons=(receipt_buttons(notice),), people=reached, about=card_key_of(notice))
        )
    unreached = [p for p in people if not reach(p)]
    if reached or not unreached:
        return replies
    # Nobody of the enterprise can be written to privately: its people are named once in the group, by
    # person and notice code only (never the enterprise, so the group never reads a list of laggards).
    target = f"mention:enterprise:{receipt.enterprise_id}"
    if await reminders.claim(session, subject, target, settings.park.day(notice.created_at), now):
        how = T.REMIND_GROUP_MEETING if notice.kind == NoticeKind.MEETING else T.REMIND_GROUP_NOTICE
        said = T.REMIND_GROUP.format(name="、".join(mention(p) for p in unreached), code=notice.code, how=how)
        replies.append(Reply(text=said, to_groups=True, about=card_key_of(notice)))
    return replies
