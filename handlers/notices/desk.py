"""Reminding, from the web desk, the enterprises that have not answered a notice: the chat's own
"立即提醒" (`handlers/notices/receipts.remind_now`), so the same people get the same words, privately,
capped, outside quiet hours. `bot/app.py` hands this to the desk (`bot/web/`), which may not import handlers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Reply
from handlers.notices.receipts import remind_now
from handlers.util import Reach, split_for_desk
from storage.models import Notice


async def remind_on_desk(
    session: AsyncSession, notice: Notice, *, settings: Settings, now: datetime, reach: Reach
) -> tuple[str, list[Reply]]:
    """Remind now; return what to show the manager and the reminders to send."""
    return split_for_desk(await remind_now(session, notice, settings, now, reach, toast=False))
