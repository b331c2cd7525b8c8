"""What every job gets: settings, the clock, the database and the dispatcher (for sends and reach)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from storage.db import Database


@dataclass(frozen=True)
class JobContext:
    """Built once at start and handed to every job."""

    settings: Settings
    clock: Clock
    db: Database
    dispatcher: Dispatcher
