"""The letter section of 我的待办 (`handlers/todo/`): the responsibility letters (目标责任状) a lead's enterprise
has not signed yet, each with its 上传签字件 button. Who signs is `domain/letters/rules.may_sign`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Button, Reply
from domain.letters import queries as letter_queries
from domain.letters.rules import may_sign
from handlers import texts as T
from handlers.letters.card import SignButton
from storage.models import Person


async def letter_todo(session: AsyncSession, actor: Person) -> list[Reply]:
    """Return the letters the person's enterprise has not signed (a lead), or nothing."""
    if actor.enterprise_id is None or not may_sign(actor, actor.enterprise_id):
        return []
    owed = await letter_queries.unsigned_of_enterprise(session, actor.enterprise_id)
    if not owed:
        return []
    lines = [T.TODO_SIGN.format(count=len(owed))]
    rows: list[tuple[Button, ...]] = []
    for letter in owed:
        lines.append(T.TODO_SIGN_LINE.format(year=letter.year, title=letter.title))
        label = T.BTN_TODO_ITEM.format(code=f"{letter.year}", label=T.BTN_LETTER_SIGN)
        rows.append((Button(label, SignButton(letter.id).pack(), f"/sign {letter.year}"),))
    return [Reply(text="\n".join(lines), buttons=tuple(rows))]
