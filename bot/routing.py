"""Routers: each `handlers/` module declares its commands, buttons and conversation steps on one.

Nothing registers itself globally; `bot.app.build_dispatcher` includes every router explicitly.
A handler declares the dependencies it wants as keyword-only parameters (`session`, `actor`,
`settings`, `clock`, `now`, `photos`, `attachments`, `card_key`, `question`, `button`, `commands`,
`reach`) and gets just those. A button route names its typed `CallbackData` definition and gets the
parsed `button`; a question route names its `Question` kind and gets the typed `question`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.buttons import CallbackData
from bot.messages import Reply
from bot.questions import Question
from domain.park.rules import Perm
from storage.db import Database


class NotMine:
    """Returned by a conversation step when the message is not the answer it waits for."""


NOT_MINE = NotMine()

HandlerResult = Reply | Sequence[Reply] | NotMine | None

# Work a handler hands off (an export, a chart): run after its update commits, outside the update's
# transaction and its chat's lane, with the database to read; its replies must name where they go.
LaterWork = Callable[[Database], Awaitable[Sequence[Reply]]]


@dataclass
class Later:
    """What a handler asks to be done after its update: `later("export", work)` (a handler dependency).

    Long work inside an update would hold the chat (and, on SQLite, the write lock) while it runs; the
    person gets a quick answer instead, and the result comes through the outbox when it is ready.
    """

    jobs: list[tuple[str, LaterWork]] = field(default_factory=list)

    def __call__(self, name: str, work: LaterWork) -> None:
        """Run `work` once this update has committed."""
        self.jobs.append((name, work))


Handler = Callable[..., Awaitable[HandlerResult]]
# A button's whole press as a unit of the bookkeeping lane (`storage/lane.py`):
# `(lane, press, *, actor, button, settings, now)` → replies, or None when the press needs the handler.
LaneHandler = Callable[..., list[Reply] | None]


@dataclass(frozen=True)
class Route:
    """One entry point: a command, a button prefix, a card kind or a question kind."""

    name: str
    handler: Handler
    perm: Perm
    wants: frozenset[str]
    help_text: str | None = None
    button: type[CallbackData] | None = None
    question: type[Question] | None = None
    read_only: bool = False  # a command that only shows something keeps the person's open question
    on_lane: LaneHandler | None = None  # a press handled whole on the bookkeeping lane (see `Router.button`)

    @property
    def light(self) -> bool:
        """A command that only shows something from who the person is (`/whoami`, `/help`): it takes the
        lane's `storage.identity.Actor` and no session, so its update opens no ORM session at all."""
        return self.read_only and not (self.wants & _HEAVY)

    async def call(self, event: object, deps: dict[str, Any]) -> list[Reply] | None:
        """Run the handler with the dependencies it declared; a list of replies, or None for NOT_MINE."""
        result = await self.handler(event, **{k: v for k, v in deps.items() if k in self.wants})
        if isinstance(result, NotMine):
            return None
        if result is None:
            return []
        if isinstance(result, Reply):
            return [result]
        return list(result)


# What a handler that takes one of these needs the ORM unit of work for.
_HEAVY = frozenset({"session", "question", "attachments", "later", "photos", "button", "card_key", "reach"})


def _wants(func: Handler) -> frozenset[str]:
    params = inspect.signature(func).parameters.values()
    return frozenset(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


class Router:
    """Collects one handler module's routes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, Route] = {}
        self.card_replies: dict[str, Route] = {}
        self.questions: dict[str, Route] = {}
        self.leftovers: dict[str, Route] = {}

    def include(self, other: Router) -> None:
        """Take in another router's routes; a name two routers define is an error, not a silent override."""
        for table, own in (
            (self.commands, other.commands),
            (self.buttons, other.buttons),
            (self.card_replies, other.card_replies),
            (self.questions, other.questions),
            (self.leftovers, other.leftovers),
        ):
            clash = table.keys() & own.keys()
            if clash:
                raise ValueError(f"router {other.name} redefines {sorted(clash)}")
            table.update(own)

    def _add(
        self, table: dict[str, Route], names: Sequence[str], perm: Perm, help_text: str | None, **typed: Any
    ) -> Callable[[Handler], Handler]:
        def decorate(func: Handler) -> Handler:
            for name in names:
                if name in table:
                    raise ValueError(f"{self.name}: {name!r} registered twice")
                help_line = help_text if name == names[0] else None
                table[name] = Route(name, func, perm, _wants(func), help_line, **typed)
            return func

        return decorate

    def command(
        self, *names: str, perm: Perm, help_text: str | None = None, read_only: bool = False
    ) -> Callable[[Handler], Handler]:
        """Handle `/name …` messages and captions; a `read_only` command leaves an open question open."""
        return self._add(self.commands, names, perm, help_text, read_only=read_only)

    def button(
        self, data: type[CallbackData], *, perm: Perm, on_lane: LaneHandler | None = None
    ) -> Callable[[Handler], Handler]:
        """Handle presses on buttons of one typed definition; the handler gets the parsed `button`.

        `on_lane`: the hottest presses (收到 on a notice card) run whole as one unit of the bookkeeping
        lane, with the update's own bookkeeping and no ORM session, when the presser is known and
        nothing about them changes; it returns None for a press that needs the handler after all."""
        return self._add(self.buttons, [data.prefix], perm, None, button=data, on_lane=on_lane)

    def card_reply(self, card_kind: str, *, perm: Perm) -> Callable[[Handler], Handler]:
        """Handle a non-command message that replies to one of our cards of this kind."""
        return self._add(self.card_replies, [card_kind], perm, None)

    def leftover(self, name: str, *, perm: Perm) -> Callable[[Handler], Handler]:
        """Handle a message no command, question or card took (e.g. a private photo without a caption).

        The handler returns NOT_MINE for what it does not want; a person without `perm` is never asked.
        """
        return self._add(self.leftovers, [name], perm, None)

    def question(self, kind: type[Question], *, perm: Perm) -> Callable[[Handler], Handler]:
        """Handle the next message of a person the bot asked a question of this kind."""
        return self._add(self.questions, [kind.kind], perm, None, question=kind)
