"""Rows done with lately, for the table scanners of `bot/inbox.py` and `bot/sender.py`.

Both are handed rows directly and also read their table now and then; a scan that read a row a moment
before it was done with must not take it again.
"""

from __future__ import annotations

from collections import OrderedDict, deque


class RecentlyDone:
    """Ids of rows done with lately, so that a scan which read them a moment earlier does not take them
    again; the oldest are forgotten beyond `kept` (a scan never reads that far back)."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._ids: set[int] = set()
        self._order: deque[int] = deque()

    def __contains__(self, row_id: int) -> bool:
        return row_id in self._ids

    def add(self, row_id: int) -> None:
        """Remember a row as done with."""
        self._ids.add(row_id)
        self._order.append(row_id)
        if len(self._order) > self.kept:
            self._ids.discard(self._order.popleft())

    def discard(self, row_id: int) -> None:
        """Forget a row, so that a later scan takes it again."""
        self._ids.discard(row_id)


class PostsSeen:
    """Where cards were posted lately, per (card key, platform, chat id): a card edit then finds its
    messages without a read; the card least recently used is forgotten beyond `kept` (and read again)."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._posts: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()

    def get(self, key: tuple[str, str, str]) -> list[str] | None:
        """Return the messages showing a card in a chat, or None when not remembered."""
        found = self._posts.get(key)
        if found is not None:
            self._posts.move_to_end(key)
        return found

    def remember(self, key: tuple[str, str, str], message_id: str) -> None:
        """Remember one more message showing a card in a chat."""
        posts = self._posts.setdefault(key, [])
        if message_id not in posts:
            posts.append(message_id)
        self._posts.move_to_end(key)
        if len(self._posts) > self.kept:
            self._posts.popitem(last=False)
