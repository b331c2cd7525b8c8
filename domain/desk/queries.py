"""Reading the web desk's sign-in rows (the writes are `domain/desk/operations.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.desk.rules import DeskRefusal, digest, link_refusal
from storage.models import LoginToken


async def link_state(session: AsyncSession, secret: str, now: datetime) -> DeskRefusal | None:
    """Return why a sign-in link would open no session now (None: it would), without using it."""
    token = await session.scalar(select(LoginToken).where(LoginToken.token_hash == digest(secret)))
    return link_refusal(token, now)
