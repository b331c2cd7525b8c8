"""What the platform adapters do alike: keep a secret out of the logs, read a command addressed to
another bot, fit a card's fields into a length, split a long text into messages, cut a text short.

Each adapter measures in its platform's own units (Telegram counts UTF-16 code units, DingTalk
characters) and passes the measure in; the rules of fitting are the same everywhere.
"""

from __future__ import annotations

import io
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.messages import Card
from storage.photos import pillow

# `/name@bot rest`: a command, the bot it is addressed to (if any), the rest of the text.
COMMAND_RE = re.compile(r"(/[A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(.*)\Z", re.DOTALL)
SHORTEST = 20  # characters a shortened field value keeps at least


class Redact(logging.Filter):
    """Blank a secret (a bot token, a client secret) out of every log line, wherever it could surface,
    and whatever `patterns` match (their first group is kept, e.g. a URL's `ticket=`)."""

    def __init__(self, secret: str, placeholder: str, patterns: tuple[re.Pattern[str], ...] = ()) -> None:
        super().__init__()
        self.secret = secret
        self.placeholder = placeholder
        self.patterns = patterns

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the secret."""
        message = original = record.getMessage()
        if self.secret and self.secret in message:
            message = message.replace(self.secret, self.placeholder)
        for pattern in self.patterns:
            message = pattern.sub(lambda m: m.group(1) + self.placeholder, message)
        if message != original:
            record.msg = message
            record.args = ()
        return True


def addressed_text(text: str, bot_username: str | None) -> str | None:
    """Strip `@ourbot` from a leading command; None when the command is addressed to another bot."""
    match = COMMAND_RE.match(text)
    if match is None or match.group(2) is None:
        return text
    if bot_username is None or match.group(2).lower() != bot_username.lower():
        return None
    return match.group(1) + match.group(3)


def cut(text: str, limit: int) -> str:
    """Return the text, or its first `limit - 1` characters and an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit_fields(card: Card, size: Callable[[list[list[str]]], int], limit: int) -> list[list[str]]:
    """Return the card's [label, value] pairs so that `size` of them is at most `limit`.

    The longest values are shortened first (the full text stays in the ledger and the detail view),
    never below `SHORTEST` characters; when nothing can be shortened any more, trailing fields go.
    """
    fields = [[f.label, f.value] for f in card.fields]
    while size(fields) > limit and fields:
        longest = max(fields, key=lambda f: len(f[1]))
        keep = max(SHORTEST, len(longest[1]) - (size(fields) - limit) - 1)
        if keep >= len(longest[1]) - 1:  # cannot shorten it any further: drop the last field instead
            fields.pop()
            continue
        longest[1] = longest[1][:keep] + "…"
    return fields


def split_text(text: str, limit: int, units: Callable[[str], int] = len) -> list[str]:
    """Split a text into parts of at most `limit` units (measured by `units`), at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while line:
            if units(current + line) <= limit:
                current, line = current + line, ""
            elif current:  # the line does not fit: close the part before it
                parts.append(current)
                current = ""
            else:  # one line longer than a whole message: take as much as fits
                taken = _fitting(line, limit, units)
                parts.append(line[:taken])
                line = line[taken:]
    if current or not parts:
        parts.append(current)
    return [p.rstrip("\n") or "…" for p in parts]


def _fitting(text: str, limit: int, units: Callable[[str], int]) -> int:
    """Return how many leading characters of the text fit in `limit` units."""
    total = 0
    for i, ch in enumerate(text):
        total += units(ch)
        if total > limit:
            return i
    return len(text)


CACHE_KEPT = 2000  # entries an adapter's small caches keep (media ids, cards shown, clicks)


class Lru(OrderedDict[str, Any]):
    """A small bounded cache (oldest entries dropped first)."""

    def put(self, key: str, value: Any) -> None:
        """Remember a value as the newest entry, dropping the oldest beyond `CACHE_KEPT`."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_KEPT:
            self.popitem(last=False)


def image_for_upload(path: Path, limit: int, quality: int = 85) -> bytes:
    """Return a picture as a platform's media upload takes it: itself when a JPEG or PNG within `limit`
    bytes, else a JPEG copy made smaller until it fits (the original stays on disk)."""
    data = path.read_bytes()
    Image = pillow()
    with Image.open(io.BytesIO(data)) as img:
        if len(data) <= limit and img.format in ("JPEG", "PNG"):
            return data
        picture = img.convert("RGB")
    side = 2560
    while True:
        copy = picture.copy()
        copy.thumbnail((side, side))
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=quality)
        if out.tell() <= limit or side <= 320:
            return out.getvalue()
        side = int(side * 0.7)
