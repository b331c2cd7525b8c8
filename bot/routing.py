"""Routers: each `handlers/` module declares its commands, buttons and conversation steps on one.

Nothing registers itself globally; `bot.app.build_dispatcher` includes every router explicitly.
A handler declares the dependencies it wants as keyword-only parameters (`session`, `actor`,
`settings`, `clock`, `now`, `photos`, `attachments`, `card_key`, `conversation`, `commands`) and gets just those.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import Reply
from handlers.permissions import Perm


class NotMine:
    """Returned by a conversation step when the message is not the answer it waits for."""


NOT_MINE = NotMine()

HandlerResult = Reply | Sequence[Reply] | NotMine | None
Handler = Callable[..., Awaitable[HandlerResult]]


@dataclass(frozen=True)
class Route:
    """One entry point: a command, a button prefix, a card kind or a conversation kind."""

    name: str
    handler: Handler
    perm: Perm
    wants: frozenset[str]
    help_text: str | None = None

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
        self.conversations: dict[str, Route] = {}

    def _add(
        self, table: dict[str, Route], names: Sequence[str], perm: Perm, help_text: str | None
    ) -> Callable[[Handler], Handler]:
        def decorate(func: Handler) -> Handler:
            for name in names:
                if name in table:
                    raise ValueError(f"{self.name}: {name!r} registered twice")
                table[name] = Route(name, func, perm, _wants(func), help_text if name == names[0] else None)
            return func

        return decorate

    def command(self, *names: str, perm: Perm, help_text: str | None = None) -> Callable[[Handler], Handler]:
        """Handle `/name …` messages and captions."""
        return self._add(self.commands, names, perm, help_text)

    def button(self, prefix: str, *, perm: Perm) -> Callable[[Handler], Handler]:
        """Handle presses on buttons whose data starts with `prefix:`."""
        return self._add(self.buttons, [prefix], perm, None)

    def card_reply(self, card_kind: str, *, perm: Perm) -> Callable[[Handler], Handler]:
        """Handle a non-command message that replies to one of our cards of this kind."""
        return self._add(self.card_replies, [card_kind], perm, None)

    def conversation(self, kind: str, *, perm: Perm) -> Callable[[Handler], Handler]:
        """Handle the next message of a person the bot asked a question (a stored conversation)."""
        return self._add(self.conversations, [kind], perm, None)
