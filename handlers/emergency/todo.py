"""The roll call section of 我的待办 (`handlers/todo/`): an open roll call (应急点名) the person was asked in
and has not answered yet, first of all, with its 到 button."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from domain.emergency import queries as emergency_queries
from domain.emergency.rules import answered
from handlers import texts as T
from handlers.emergency.card import here_button
from storage.models import Person


async def roll_call_todo(session: AsyncSession, actor: Person) -> list[Reply]:
    """Return the open roll call the person has not answered, or nothing."""
    call = await emergency_queries.open_call(session)
    if call is None:
        return []
    row = await emergency_queries.answer_of(session, call.id, actor.id)
    if row is None or answered(row):
        return []
    return [Reply(text=T.TODO_HERE.format(note=call.note), buttons=((here_button(call),),))]
