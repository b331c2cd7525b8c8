"""What the web desk is built from (handed in by `bot/app.py`), and who is signed in on a request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.outbox import Queued
from domain.hazards.rules import view_scope
from storage.db import Database
from storage.models import Hazard, Notice, Person, WebSession


@dataclass
class Verdict:
    """What accepting or rejecting a fix did: whether the hazard changed, what the chat would have said to
    the manager (shown on the page), and the outbox rows written in the caller's transaction."""

    done: bool
    said: str
    queued: Sequence[Queued] = ()


class Verifier(Protocol):
    """Accept (or reject, with a reason) a hazard's fix as the chat's buttons do, in the caller's transaction."""

    def __call__(
        self, session: AsyncSession, actor: Person, hazard: Hazard, accept: bool, reason: str
    ) -> Awaitable[Verdict]: ...


class Reminder(Protocol):
    """Remind the enterprises that have not answered a notice, as the chat's 立即提醒 does, in the caller's
    transaction."""

    def __call__(self, session: AsyncSession, notice: Notice) -> Awaitable[Verdict]: ...


class Exporter(Protocol):
    """Write the Excel ledger of a year as the chat's /export does; return its path and download name."""

    def __call__(self, year: int) -> Awaitable[tuple[Path, str]]: ...


@dataclass
class Desk:
    """Everything the pages need, built once at start."""

    settings: Settings
    clock: Clock
    db: Database
    verify: Verifier
    remind: Reminder
    export: Exporter
    deliver: Callable[[Sequence[Queued]], None]  # hand committed outbox rows to the sender
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)  # the chat's names of statuses …

    @property
    def photo_root(self) -> Path:
        """Return the folder stored photos and documents are relative to."""
        return self.settings.storage.photo_dir

    def label(self, kind: str, value: Any) -> str:
        """Return the chat's Chinese name of an enum value (the value itself when none is known)."""
        return self.labels.get(kind, {}).get(value, "" if value is None else str(value))


@dataclass
class Who:
    """The signed-in person on this request, as re-read now, and their session."""

    person: Person
    web_session: WebSession
    enterprise_name: str | None  # a lead's enterprise; None for park staff

    @property
    def scope(self) -> int | None:
        """Return the enterprise the person sees (None: the whole park), by the chat's own rule."""
        return view_scope(self.person)
