"""The campaign sections of 我的待办 (`handlers/todo/`): the self-inspection reports a lead owes for their
enterprise, and the submissions waiting for a manager's review, each with its buttons. Who submits and
who reviews is `domain/campaigns/rules.py` (`may_submit`, `may_review`, `is_overdue`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, Reply
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import is_overdue, may_review, may_submit
from handlers import texts as T
from handlers.campaigns.card import ReviewButton, submit_button
from handlers.util import short
from storage.enums import TaskStatus
from storage.models import Person


def _named(code: str, button: Button) -> Button:
    return Button(T.BTN_TODO_ITEM.format(code=code, label=button.label), button.data, button.command)


async def campaign_todo(
    session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> list[Reply]:
    """Return the reports the person's enterprise owes (a lead) and the submissions they may review (a manager)."""
    today = settings.park.day(now)
    replies: list[Reply] = []
    if actor.enterprise_id is not None and may_submit(actor, actor.enterprise_id):
        owed = await campaign_queries.owed_tasks(session, actor.enterprise_id)
        if owed:
            lines = [T.TODO_SUBMIT.format(count=len(owed))]
            rows: list[tuple[Button, ...]] = []
            for task in owed[: T.TODO_SHOWN]:
                c = task.campaign
                returned = task.status == TaskStatus.RETURNED and task.return_reason
                lines.append(
                    T.TODO_SUBMIT_LINE.format(
                        code=c.code,
                        title=c.title,
                        due=c.due_date.strftime("%m-%d"),
                        late=T.TODO_SUBMIT_LATE if is_overdue(task, c, today) else "",
                        returned=T.TODO_SUBMIT_RETURNED.format(reason=short(task.return_reason or "", 30))
                        if returned
                        else "",
                    )
                )
                rows.append((_named(c.code, submit_button(c)),))
            if len(owed) > T.TODO_SHOWN:
                lines.append(T.TODO_MORE.format(count=len(owed) - T.TODO_SHOWN, command="/campaigns"))
            replies.append(Reply(text="\n".join(lines), buttons=tuple(rows)))
    waiting = [t for t in await campaign_queries.submitted_tasks(session) if may_review(actor, t.reporter_id)]
    if waiting:
        lines = [T.TODO_REVIEW.format(count=len(waiting))]
        rows = []
        for task in waiting[: T.TODO_SHOWN]:
            c, name = (
                task.campaign,
                task.enterprise.aliases[0] if task.enterprise.aliases else task.enterprise.name,
            )
            lines.append(T.TODO_REVIEW_LINE.format(code=c.code, title=c.title, enterprise=name))
            ok = Button(
                T.BTN_REPORT_ACCEPT, ReviewButton(task.id, "ok").pack(), f"/report_accept {c.code} {name}"
            )
            back = Button(
                T.BTN_REPORT_RETURN,
                ReviewButton(task.id, "back").pack(),
                f"/report_return {c.code} {name} <原因>",
            )
            rows.append((_named(f"{c.code} {name}", ok), back))
        if len(waiting) > T.TODO_SHOWN:
            lines.append(T.TODO_MORE.format(count=len(waiting) - T.TODO_SHOWN, command="/campaigns"))
        replies.append(Reply(text="\n".join(lines), buttons=tuple(rows)))
    return replies
