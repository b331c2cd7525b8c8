"""Outcomes: what became of each outbox row the sender tried, written to its row (and where its card
landed), kept and retried in order while the database cannot take them.

`bot/sender.py` sends and hands every outcome here; while any is kept, `recorded` is clear and the
sender sends nothing new, so an outage repeats at most what was on the wire. The rows themselves are
`storage/outbox.py`; card posts are `storage/cards.py`. `bot/pacing.py` is the sender's other helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.messages import ChatRef
from bot.outbox import Queued
from storage import cards
from storage import outbox as rows
from storage.db import Database, is_unavailable
from storage.enums import OutboxState

logger = logging.getLogger(__name__)

MARK_RETRY_FIRST = 0.5  # seconds before a kept outcome is written again; doubles up to MARK_RETRY_MAX
MARK_RETRY_MAX = 10.0


@dataclass(frozen=True)
class _Mark:
    """An outcome to record: rows, their state, attempts, the error, and where their cards landed."""

    ids: tuple[int, ...]
    state: OutboxState
    attempts: int
    error: str | None
    posts: tuple[tuple[str, ChatRef, str], ...]


def one_line(exc: BaseException) -> str:
    """Return an error as one short line for the log."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


class Outcomes:
    """Records the sender's outcomes in the outbox rows; keeps and retries those the database refused."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Outcomes sent but not yet recorded (the database was unavailable): kept and retried in order.
        self._unrecorded: deque[_Mark] = deque()
        self.recorded = asyncio.Event()  # clear while any outcome is kept: nothing new is sent meanwhile
        self.recorded.set()
        self._marker: asyncio.Task[None] | None = None

    async def finish(
        self,
        batch: Sequence[Queued],
        state: OutboxState,
        attempts: int,
        error: str | None,
        posts: Sequence[tuple[str, ChatRef, str]] = (),
    ) -> None:
        """Record rows' state (and where their card landed); if the database cannot take it now, keep the
        record and retry it until it can, sending nothing new meanwhile (a dropped mark means a resend)."""
        mark = _Mark(tuple(q.id for q in batch), state, attempts, error, tuple(posts))
        if self._unrecorded or not await self._record(mark):
            self._unrecorded.append(mark)
            self.recorded.clear()
            if self._marker is None or self._marker.done():
                self._marker = asyncio.create_task(self._record_later(), name="sender-marks")

    async def close(self) -> None:
        """Stop retrying in the background; make one last try at what is kept, then let it go (logged)."""
        if self._marker is not None:
            self._marker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._marker
            self._marker = None
        while self._unrecorded and await self._record(self._unrecorded[0]):
            self._unrecorded.popleft()
        if self._unrecorded:
            kept = sum(len(m.ids) for m in self._unrecorded)
            logger.warning(
                "%d sent messages could not be recorded; they will be sent again at the next start", kept
            )
            self._unrecorded.clear()
        self.recorded.set()

    async def _record(self, mark: _Mark) -> bool:
        """Write one outcome in one transaction; False when the database did not take it."""
        try:
            async with self.db.unit_of_work() as session:
                now = self.clock.now()
                await rows.finish(
                    session, list(mark.ids), mark.state, now, attempts=mark.attempts, error=mark.error
                )
                for key, chat, message_id in mark.posts:
                    await cards.record_card_post(
                        session,
                        card_key=key,
                        platform=chat.platform,
                        chat_id=chat.chat_id,
                        message_id=message_id,
                        at=now,
                    )
        except Exception as exc:
            if not is_unavailable(exc):  # not an outage: retrying would stall every lane; log it and go on
                logger.exception("could not record outbox rows %s as %s; dropped", list(mark.ids), mark.state)
                return True
            if not self._unrecorded:  # once per outage, not once per row
                logger.warning(
                    "could not record outbox rows %s as %s (kept, retried; nothing new is sent until then): %s",
                    list(mark.ids),
                    mark.state,
                    one_line(exc),
                )
            return False
        return True

    async def _record_later(self) -> None:
        """Retry the kept outcomes, oldest first, with growing pauses, until every one is recorded."""
        pause = MARK_RETRY_FIRST
        while self._unrecorded:
            await asyncio.sleep(pause)
            while self._unrecorded and await self._record(self._unrecorded[0]):
                self._unrecorded.popleft()
            pause = min(pause * 2, MARK_RETRY_MAX)
        logger.info("outbox outcomes recorded again; sending goes on")
        self.recorded.set()
