"""The web desk's sign-in: one-time login links sent by `/web`, and the browser sessions they open.

Only SHA-256 digests of the secrets are stored: a copy of the database opens no session. The rules
(how long a link and a session last, how many links an hour) are in `domain/desk/rules.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.park import Person


class LoginToken(Base):
    """A one-time sign-in link sent privately to a person; used once, before it expires."""

    __tablename__ = "web_login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="raise")


class WebSession(Base):
    """A signed-in browser: its cookie's digest, its CSRF token, and when it was last used."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="raise")
