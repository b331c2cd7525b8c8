"""Typed questions the bot asks and waits for (a draft's photos, a rejection reason).

A question kind is a frozen dataclass deriving from `Question` with a `kind` name and a
time-to-live; it is stored as a row (`storage/conversations.py`) keyed by platform, chat and person,
so it survives a restart, and read back into its type. An expired question, or one whose kind is no
longer known (renamed in an upgrade), is dropped, never taken as the answer.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Incoming
from storage import conversations
from storage.models import Conversation, Person

logger = logging.getLogger(__name__)


class Question:
    """Base of every question kind: subclasses are frozen dataclasses with `kind` and `ttl`."""

    kind: ClassVar[str]
    ttl: ClassVar[timedelta]
    # Whether the person is told when this question lapsed; a question they were never asked in
    # words (the rest of an album) lapses silently.
    tell_expiry: ClassVar[bool] = True

    def __init_subclass__(cls, *, kind: str, ttl: timedelta, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = kind
        cls.ttl = ttl

    def expects(self, msg: Incoming) -> bool:
        """Tell whether this message could be the answer, before anything is downloaded.

        By default any message addressed to the bot could; a question that waits for something
        narrower (the rest of one album) says so by overriding this.
        """
        return msg.addressed

    def data(self) -> dict[str, Any]:
        """Return the question's fields as the JSON stored in its row."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True)
class Pending:
    """A stored question read back: its row, and its typed value (None when unknown or expired)."""

    row: Conversation
    question: Question | None
    expired: bool = False


def read(row: Conversation, kinds: dict[str, type[Question]], now: datetime) -> Pending:
    """Turn a stored row into its typed question; unknown, malformed or expired ones become None."""
    cls = kinds.get(row.kind)
    if cls is None:
        logger.warning("dropping a stored question of unknown kind %r (person %s)", row.kind, row.person_id)
        return Pending(row, None)
    if now - row.updated_at > cls.ttl:
        return Pending(row, None, expired=True)
    try:
        return Pending(row, cls(**row.data))
    except TypeError as exc:  # the fields changed in an upgrade
        logger.warning("dropping a stored %s question with data %r: %s", row.kind, row.data, exc)
        return Pending(row, None)


async def ask(session: AsyncSession, chat: ChatRef, person: Person, question: Question, at: datetime) -> None:
    """Wait for this person's answer in this chat, replacing any question asked there before."""
    await conversations.start_conversation(
        session,
        platform=chat.platform,
        chat_id=chat.chat_id,
        person=person,
        kind=question.kind,
        data=question.data(),
        at=at,
    )


async def drop(session: AsyncSession, chat: ChatRef, person: Person) -> None:
    """Stop waiting for this person in this chat."""
    await conversations.end_conversation(session, chat.platform, chat.chat_id, person)


async def close_about_hazard(session: AsyncSession, hazard_id: int) -> None:
    """Drop every open question about one hazard: a transition made them moot (a fix after 驳回 was pressed)."""
    await conversations.end_about(session, "hazard_id", hazard_id)
