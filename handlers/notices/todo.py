"""The notice section of 我的待办 (`handlers/todo/`): the open notices a person's enterprise has not
answered yet, each with its 收到 / 请假 buttons. Who answers for an enterprise and when a notice still
takes answers are `domain/notices/rules.py` (`may_answer_for_enterprise`, `started`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, Reply
from domain.notices import queries as notice_queries
from domain.notices.rules import may_answer_for_enterprise, started
from handlers import texts as T
from handlers.notices.card import fmt_when, receipt_buttons
from storage.models import Person


async def notice_todo(session: AsyncSession, actor: Person, settings: Settings, now: datetime) -> list[Reply]:
    """Return the notices waiting for the person's enterprise's answer (none for who answers for none)."""
    if not may_answer_for_enterprise(actor) or actor.enterprise_id is None:
        return []
    notices = [
        n for n in await notice_queries.awaiting_answer(session, actor.enterprise_id) if not started(n, now)
    ]
    if not notices:
        return []
    shown = notices[: T.TODO_SHOWN]
    lines = [T.TODO_ANSWER.format(count=len(notices))]
    rows: list[tuple[Button, ...]] = []
    for n in shown:
        when = (
            T.TODO_ANSWER_WHEN.format(when=fmt_when(n.starts_at, settings), place=n.place or "")
            if n.starts_at
            else ""
        )
        lines.append(T.TODO_ANSWER_LINE.format(code=n.code, title=n.title, when=when.rstrip()))
        first, *rest = receipt_buttons(n)
        rows.append(
            (Button(T.BTN_TODO_ITEM.format(code=n.code, label=first.label), first.data, first.command), *rest)
        )
    if len(notices) > len(shown):
        lines.append(T.TODO_MORE.format(count=len(notices) - len(shown), command="/confirm"))
    return [Reply(text="\n".join(lines), buttons=tuple(rows))]
