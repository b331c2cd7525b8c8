"""The web desk's rules: who may sign in, how long a link and a session last, how many links an hour.

Who sees what on the desk is the chat's own table (`domain/park/rules.py`, `Perm.WEB_DESK` to sign in,
`may_view_enterprise` per row; `domain/hazards/rules.check` for accepting or rejecting a fix). Pure:
rows are read as plain objects; `domain/desk/operations.py` is the transaction around these.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.park.rules import Perm, is_enterprise_staff, role_allows

if TYPE_CHECKING:
    from storage.models import LoginToken, Person, WebSession

LINK_TTL = timedelta(minutes=10)  # a sign-in link opens a session this long after /web, once
SESSION_IDLE = timedelta(hours=12)  # a session unused this long is over
LINKS_PER_HOUR = 4  # /web answers with a link at most this often per person and hour
TOUCH_EVERY = timedelta(minutes=1)  # a session's last use is written at most this often (one write a minute)


class DeskRefusal(StrEnum):
    """Why a sign-in link was not sent or not honoured (the `reason` of `domain.outcome.Refused`)."""

    NOT_ALLOWED = "not_allowed"  # not a manager, an admin, or a lead bound to an enterprise
    TOO_MANY = "too_many"  # LINKS_PER_HOUR links in the last hour already
    UNKNOWN = "unknown"  # no such link (mistyped, or from another installation)
    EXPIRED = "expired"  # older than LINK_TTL
    USED = "used"  # opened once already


def digest(secret: str) -> str:
    """Return the SHA-256 hex digest a link's or a cookie's secret is stored as."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def may_use_desk(person: Person) -> bool:
    """Tell whether the person may sign in to the desk: managers and admins (the whole park) and leads
    (their own enterprise; a lead whose enterprise was unset sees nothing, so may not sign in)."""
    if not role_allows(person.role, Perm.WEB_DESK):
        return False
    return not is_enterprise_staff(person) or person.enterprise_id is not None


def link_refusal(token: LoginToken | None, now: datetime) -> DeskRefusal | None:
    """Return why a sign-in link opens no session (None: it does, now)."""
    if token is None:
        return DeskRefusal.UNKNOWN
    if token.used_at is not None:
        return DeskRefusal.USED
    if now >= token.expires_at:
        return DeskRefusal.EXPIRED
    return None


def session_alive(web_session: WebSession, now: datetime) -> bool:
    """Tell whether a session still signs its browser in: not ended, and used within SESSION_IDLE."""
    return web_session.ended_at is None and now - web_session.last_seen_at < SESSION_IDLE


def needs_touch(web_session: WebSession, now: datetime) -> bool:
    """Tell whether a request should write the session's last use (not on every request: one a minute)."""
    return now - web_session.last_seen_at >= TOUCH_EVERY
