"""Signing in to the web desk: send a one-time link (`/web`), open a session with it, check it on each
request, end it. Each secret is stored as its digest only (`rules.digest`); every step is audited.

The rules are in `domain/desk/rules.py`; the chat side is `handlers/park/web.py`, the pages `bot/web/`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.desk.rules import (
    LINK_TTL,
    LINKS_PER_HOUR,
    DeskRefusal,
    digest,
    link_refusal,
    may_use_desk,
    needs_touch,
    session_alive,
)
from domain.outcome import Refused
from storage.audit import audit
from storage.models import LoginToken, Person, WebSession


async def issue_link(session: AsyncSession, person: Person, now: datetime) -> str:
    """Record a new one-time sign-in link for the person and return its secret (said once, stored hashed)."""
    if not may_use_desk(person):
        raise Refused(DeskRefusal.NOT_ALLOWED, person)
    recent = await session.scalar(
        select(func.count())
        .select_from(LoginToken)
        .where(LoginToken.person_id == person.id, LoginToken.created_at > now - timedelta(hours=1))
    )
    if (recent or 0) >= LINKS_PER_HOUR:
        raise Refused(DeskRefusal.TOO_MANY, person)
    secret = secrets.token_urlsafe(32)
    session.add(LoginToken(token_hash=digest(secret), person_id=person.id, created_at=now, expires_at=now + LINK_TTL))
    await audit(session, now, person, "web.link", "person", person.id)
    return secret


async def redeem(session: AsyncSession, secret: str, now: datetime) -> tuple[str, WebSession]:
    """Use a sign-in link once: open a session and return its cookie secret and row, or raise Refused.

    The link is marked used by one conditional UPDATE, so two browsers opening it at once get one session.
    """
    token = await session.scalar(select(LoginToken).where(LoginToken.token_hash == digest(secret)))
    refusal = link_refusal(token, now)
    if refusal is not None or token is None:
        raise Refused(refusal or DeskRefusal.UNKNOWN)
    claimed = await session.execute(
        update(LoginToken)
        .where(LoginToken.id == token.id, LoginToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise Refused(DeskRefusal.USED)
    person = await session.get(Person, token.person_id)
    if person is None or not may_use_desk(person):
        raise Refused(DeskRefusal.NOT_ALLOWED, person)
    cookie = secrets.token_urlsafe(32)
    row = WebSession(
        session_hash=digest(cookie),
        csrf=secrets.token_urlsafe(24),
        person_id=person.id,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    await audit(session, now, person, "web.login", "web_session", row.id)
    return cookie, row


async def signed_in(session: AsyncSession, cookie: str, now: datetime) -> tuple[WebSession, Person] | None:
    """Return the live session of a cookie and its person, re-read now (None: not signed in, or no longer
    allowed: the person's role and enterprise are checked on every request)."""
    row = await session.scalar(select(WebSession).where(WebSession.session_hash == digest(cookie)))
    if row is None or not session_alive(row, now):
        return None
    person = await session.get(Person, row.person_id, populate_existing=True)
    if person is None or not may_use_desk(person):
        return None
    return row, person


async def touch(session: AsyncSession, row: WebSession, now: datetime) -> None:
    """Record that a session was used now (at most once a minute: `rules.needs_touch`), which keeps it alive."""
    if needs_touch(row, now):
        await session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))


async def sign_out(session: AsyncSession, row: WebSession, person: Person, now: datetime) -> None:
    """End a session (its cookie signs nothing in any more)."""
    await session.execute(update(WebSession).where(WebSession.id == row.id).values(ended_at=now))
    await audit(session, now, person, "web.logout", "web_session", row.id)
