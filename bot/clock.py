"""The injected clock: production reads the system, tests move a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current aware datetime."""
        ...


class SystemClock:
    """Read the system clock, in UTC."""

    def now(self) -> datetime:
        """Return the current aware datetime."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests and the console's time travel."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        """Return the current aware datetime."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self._now += delta

    def set(self, when: datetime) -> None:
        """Jump to a given aware datetime."""
        self._now = when
