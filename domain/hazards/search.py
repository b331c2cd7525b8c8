"""Finding hazards by words (/search in the chat, `q` on the desk's ledger): the description holds the words
(any case; `%` and `_` are plain characters), or the code does.

Chinese has no spaces to cut words at and people search two or three characters (消防, 灭火器), so the
descriptions are indexed by character pairs (`hazard_grams`, migration 0026): one row per distinct pair of
a hazard's lowercased description and one for its last character, so that every character begins a row
and a one-character search is a range of rows. A search walks the rows of its rarest pair newest first and
checks each hazard with the exact LIKE: it finds what scanning every description would find. When the other
filters leave fewer hazards than the pair has rows (a lead's enterprise, the open ones), those hazards are
looked up in the index instead. It stops at `COUNT_CAP` + 1 matches; the lists say "1,000 条以上" beyond
(an exact count of 100,000 matches is what made a search take a second on a million hazards).

A whole code (`YH-2026-0007`, `yh-2026-7`) finds its hazard through the code's unique index. A piece of a
code, when the words are made of the characters codes are made of: where codes begin (`YH-2026-00`,
`2026-0007`) a range of that index on SQLite; otherwise (`0007`, or any piece on PostgreSQL) every code is
read (a short column: 0.1–0.2 s for a million hazards).

`refresh` rewrites a hazard's rows: `operations._record` calls it for the events that write a description
(report, back-fill, edit). `queries.list_hazards` reads `matching_ids`. Migration 0026 and
`bench/bigdb.py` fill the index the same way (`index_grams`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from domain import codes
from domain.codes import normal_code
from storage.db import dialect_insert
from storage.models import Hazard, HazardGram

COUNT_CAP = 1000  # matches counted exactly; beyond, "1,000 条以上"
PROBE = 20_000  # a pair's index rows, or the hazards meeting the other filters, counted to choose a walk
FEW = 2000  # a pair with fewer rows is walked whatever the filters
ONE_CHAR_PROBE = 100_000  # rows of a one-character range read as a list of ids; beyond, the ledger is read
SHIFT = 21  # bits of one character (Unicode code points are below 2**21)
CODE_CHARACTERS = frozenset("yh0123456789-")
YEAR_ON = re.compile(r"\d{4}-\d*")  # a year and its dash, then digits of a number


def gram(first: str, second: str = "") -> int:
    """Return a pair of characters (or one, a text's last) as the integer the index holds."""
    return ord(first) << SHIFT | (ord(second) if second else 0)


def index_grams(description: str) -> set[int]:
    """Return what the index holds of a description: its distinct lowercased character pairs and its last
    character."""
    text = description.lower()
    grams = {gram(text[i], text[i + 1]) for i in range(len(text) - 1)}
    if text:
        grams.add(gram(text[-1]))
    return grams


def like_pattern(text: str) -> str:
    """Return a LIKE pattern (escape `\\`) matching the text anywhere, its `%` and `_` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def refresh(session: AsyncSession, hazard: Hazard, old: str | None = None) -> None:
    """Bring a hazard's rows of the word index to its description; `old`: the description they were made
    from (None: a new hazard, no rows yet). Only the pairs that changed are written, each by the primary
    key (a delete by hazard alone would read the whole index)."""
    new = index_grams(hazard.description)
    gone = index_grams(old) - new if old is not None else set()
    added = new - index_grams(old) if old is not None else new
    if gone:
        await session.execute(
            delete(HazardGram).where(HazardGram.hazard_id == hazard.id, HazardGram.gram.in_(sorted(gone)))
        )
    if added:
        rows = [{"gram": g, "hazard_id": hazard.id} for g in sorted(added)]
        await session.execute(dialect_insert(session)(HazardGram).on_conflict_do_nothing(), rows)


async def matching_ids(
    session: AsyncSession, words: str, where: Sequence[ColumnElement[bool]], limit: int
) -> list[int]:
    """Return the ids of the hazards meeting `where` whose description or code holds the words, newest first,
    at most `limit` of them."""
    found = set(await _by_description(session, words.lower(), where, limit))
    found.update(await _by_code(session, words, where, limit))
    return sorted(found, reverse=True)[:limit]


async def _by_description(
    session: AsyncSession, text: str, where: Sequence[ColumnElement[bool]], limit: int
) -> Sequence[int]:
    """Return the ids of the hazards whose description holds the (lowercased) text, newest first."""
    if not text:
        return ()
    exact = func.lower(Hazard.description).like(like_pattern(text), escape="\\")
    if len(text) == 1:
        # Every row of the character's range: its pairs and the descriptions ending with it.
        lowest = gram(text)
        rows = select(HazardGram.hazard_id).where(
            HazardGram.gram >= lowest, HazardGram.gram < lowest + (1 << SHIFT)
        )
        many = await _count(session, rows, ONE_CHAR_PROBE)
        if many == 0:
            return ()
        if many < ONE_CHAR_PROBE:
            where = [*where, Hazard.id.in_(rows)]
        # else: a character this common is in many descriptions, and reading them newest first finds them soon
        query = select(Hazard.id).where(*where, exact).order_by(Hazard.id.desc())
    else:
        counts = await _gram_counts(session, {gram(text[i], text[i + 1]) for i in range(len(text) - 1)})
        rarest = min(counts, key=lambda g: counts[g])
        if counts[rarest] == 0:
            return ()
        if (
            where
            and counts[rarest] >= FEW
            and await _count(session, select(Hazard.id).where(*where), PROBE) < counts[rarest]
        ):
            # Fewer hazards meet the other filters (an enterprise's, the open ones) than the pair has rows:
            # look each of them up in the index, rather than walk the pair's rows for the few that pass. Picked
            # apart (a subquery with a limit is read on its own), so that SQLite reads them by the filters'
            # index: its statistics take the open statuses for half the ledger, and it would read every row.
            # Each is looked up by subqueries of its own (PostgreSQL would hash the pair's every row).
            picked = select(Hazard.id.label("id")).where(*where).limit(PROBE).subquery()
            listed = (
                select(func.count())
                .where(HazardGram.gram == rarest, HazardGram.hazard_id == picked.c.id)
                .scalar_subquery()
            )
            passes = select(exact).where(Hazard.id == picked.c.id).scalar_subquery()
            query = select(picked.c.id).where(listed > 0, passes).order_by(picked.c.id.desc())
        else:
            # The pair's rows in index order are the hazards newest first: the walk stops at the limit. Each
            # hazard is checked by a subquery of its own, not a join: PostgreSQL, taking the LIKE for rare,
            # would rather scan every description than walk the index (a second for 液氨).
            passes = select(and_(exact, *where)).where(Hazard.id == HazardGram.hazard_id).scalar_subquery()
            query = (
                select(HazardGram.hazard_id)
                .where(HazardGram.gram == rarest, passes)
                .order_by(HazardGram.hazard_id.desc())
            )
    return (await session.scalars(query.limit(limit))).all()


async def _by_code(
    session: AsyncSession, words: str, where: Sequence[ColumnElement[bool]], limit: int
) -> Sequence[int]:
    """Return the ids of the hazards whose code is the words (a whole code) or holds them (a piece of one,
    written in the characters of codes), newest first."""
    code = normal_code(words)
    if code is not None and code.rsplit("-", 1)[1].strip("0"):  # a whole code (no code is numbered 0)
        return (await session.scalars(select(Hazard.id).where(*where, Hazard.code == code))).all()
    if not words or not set(words.lower()) <= CODE_CHARACTERS:
        return ()
    piece = words.upper()  # codes are stored in capitals
    start = _code_start(piece)
    if start is not None:  # the piece is where a code begins: a range of the code's index
        if f"{codes.HAZARD_PREFIX}-".startswith(start):  # Y, YH, YH-: every code
            holds: ColumnElement[bool] = true()
        elif session.get_bind().dialect.name == "sqlite":
            holds = and_(Hazard.code >= start, Hazard.code < start[:-1] + chr(ord(start[-1]) + 1))
        else:  # PostgreSQL's ranges follow the collation, which may skip the dashes: its LIKE knows better
            holds = Hazard.code.startswith(start, autoescape=True)
        return (
            await session.scalars(
                select(Hazard.id).where(*where, holds).order_by(Hazard.id.desc()).limit(limit)
            )
        ).all()
    # A piece with nothing to place it (`0007`): every code is read, from the code's index alone (not the
    # rows, as reading them newest first would), and the matches sorted here.
    if session.get_bind().dialect.name == "sqlite":
        holds = func.instr(Hazard.code, piece) > 0  # half the time of LIKE
    else:
        holds = Hazard.code.contains(piece, autoescape=True)
    ids = (await session.scalars(select(Hazard.id).where(*where, holds))).all()
    return sorted(ids, reverse=True)[:limit]


def _code_start(piece: str) -> str | None:
    """Return how every hazard code holding a piece of one begins, when the piece says (`YH-2026-00`,
    `H-2026`, `2026-0007`: the year's dash is a code's second); None when it could be anywhere in a code."""
    if piece.startswith("Y"):
        return piece
    if piece.startswith("H"):
        return "Y" + piece
    if YEAR_ON.fullmatch(piece):
        return f"{codes.HAZARD_PREFIX}-{piece}"
    return None


async def _count(session: AsyncSession, rows: Select[Any], cap: int) -> int:
    """Return how many rows a query has, counting no further than `cap`."""
    return await session.scalar(select(func.count()).select_from(rows.limit(cap).subquery())) or 0


async def _gram_counts(session: AsyncSession, grams: set[int]) -> dict[int, int]:
    """Return how many rows each pair has in the index, counting no further than `PROBE`, in one statement."""
    ordered = sorted(grams)
    counts = [
        select(func.count())
        .select_from(select(HazardGram.hazard_id).where(HazardGram.gram == g).limit(PROBE).subquery())
        .scalar_subquery()
        for g in ordered
    ]
    row = (await session.execute(select(*counts))).one()
    return dict(zip(ordered, row, strict=True))


def over_cap(total: int) -> bool:
    """Tell whether a search's count stopped at the cap (the lists say "1,000 条以上")."""
    return total > COUNT_CAP
