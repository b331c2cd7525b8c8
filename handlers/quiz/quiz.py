"""`/quiz` (/答题), the knowledge quiz (知识答题) in the chat:

- a manager or an admin: `/quiz 题库` with a CSV or Excel file imports questions (`bank.py`), alone it
  says what the bank holds; `/quiz <标题> <题目> <截止> [企业…]` starts a quiz (题目: `10题` at random,
  `题号1-10,12` by number, `全部`; 截止: `12月20日`, `7天内`, with an optional `18:00`) and posts its card to
  the park groups; `/quiz end [编号]` ends one now; `/quiz 成绩 [编号]` sends the per-person sheet;
- an enterprise's lead or member: `/quiz` begins or goes on with the open quiz they are invited to, as
  开始答题 on the card does (`take.py`).

The card is `card.py`; the sheet `sheet.py`; the rules `domain/quiz/rules.py`.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Later, Router
from domain.outcome import Refused
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from domain.park.rules import Perm
from domain.quiz import operations as quiz_ops
from domain.quiz import queries as quiz_queries
from domain.quiz.rules import MAX_QUESTIONS, TITLE_LIMIT, may_import, may_run, may_take
from handlers import texts as T
from handlers.broadcast import broadcast
from handlers.dates import DueDateError, parse_due
from handlers.quiz.bank import bank_summary, import_bank
from handlers.quiz.card import build_card, refusal_text
from handlers.quiz.sheet import sheet_work
from handlers.quiz.take import answer_typed, begin_replies
from handlers.util import Reach, fmt_time
from storage.models import Person, Quiz

router = Router("quiz.quiz")

BANK_WORDS = ("题库", "bank")
END_WORDS = ("end", "结束")
SHEET_WORDS = ("成绩", "sheet", "results")
COUNT_RE = re.compile(r"(?:随机)?(\d{1,3})(?:题|道)|随机(\d{1,3})")
NUMBERS_RE = re.compile(r"题号(\d{1,6}(?:-\d{1,6})?(?:[,，、]\d{1,6}(?:-\d{1,6})?)*)")
TIME_RE = re.compile(r"([01]?\d|2[0-3])[:：]([0-5]\d)")
ALL_WORDS = ("全部", "全部题目")
ANSWER_RE = re.compile(r"[A-Fa-f]{1,6}|对|错|正确|错误|√|×")
ALL_ENTERPRISES = ("全部企业", "所有企业")


@router.command("quiz", perm=Perm.VIEW, help_text=T.HELP["quiz"])
async def quiz_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    reach: Reach,
    later: Later,
) -> HandlerResult:
    """Import the bank, start, end or report on a quiz (managers); begin or go on with one (enterprise people)."""
    words = clean_text(msg.args, 400).split()
    first = words[0].lower() if words else ""
    if first in BANK_WORDS:
        if not may_import(actor):
            return Reply(text=T.QUIZ_NOT_ALLOWED)
        if attachments:
            return await import_bank(session, actor, attachments, now)
        return Reply(text=await bank_summary(session) + "\n" + T.QUIZ_BANK_HOW)
    if first in END_WORDS or first in SHEET_WORDS:
        if not may_run(actor):
            return Reply(text=T.QUIZ_NOT_ALLOWED)
        found = await _find(session, words[1] if len(words) > 1 else "")
        if isinstance(found, str):
            return Reply(text=found)
        if first in SHEET_WORDS:
            later("quiz-sheet", sheet_work(settings, found.id, [actor.id], now))
            return Reply(text=T.QUIZ_SHEET_WORKING.format(id=found.id, title=found.title))
        return await _end(session, found, actor, settings, now, later)
    if attachments and may_import(actor):
        return Reply(text=T.QUIZ_BANK_HOW)
    if len(words) == 1 and ANSWER_RE.fullmatch(words[0]) and not may_run(actor):
        return await answer_typed(session, actor, msg.chat, settings, now, words[0].upper())
    if not words or (len(words) == 1 and words[0].isdigit()):
        return await _take_or_list(session, actor, msg, settings, now, reach, words[0] if words else "")
    if not may_run(actor):
        takes = park_rules.role_allows(actor.role, Perm.QUIZ_TAKE)
        return Reply(text=T.QUIZ_BAD_TYPED.format(text=words[0][:10]) if takes else T.QUIZ_NOT_ALLOWED)
    return await _start(session, actor, msg, words, settings, now)


async def _find(session: AsyncSession, text: str) -> Quiz | str:
    """Return the quiz numbered `text` (the newest one when none is), or say why not."""
    if not text:
        found = await quiz_queries.latest(session)
        return found if found is not None else T.QUIZ_NONE
    if not text.isdigit():
        return T.QUIZ_BAD_NUMBER.format(text=text[:20])
    found = await quiz_queries.get(session, int(text))
    return found if found is not None else T.QUIZ_NOT_FOUND.format(id=int(text))


async def _end(
    session: AsyncSession, quiz: Quiz, actor: Person, settings: Settings, now: datetime, later: Later
) -> HandlerResult:
    """End a quiz now: its card says 已结束 with the final figures; the sheet follows privately."""
    try:
        await quiz_ops.close(session, quiz, actor, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, quiz))
    told = [quiz.author_id] + ([actor.id] if actor.id != quiz.author_id else [])
    later("quiz-sheet", sheet_work(settings, quiz.id, told, now))
    card = await build_card(session, quiz, settings, now)
    return [Reply(card=card, edit=True), Reply(text=T.QUIZ_ENDED.format(id=quiz.id, title=quiz.title))]


async def _take_or_list(
    session: AsyncSession,
    actor: Person,
    msg: Incoming,
    settings: Settings,
    now: datetime,
    reach: Reach,
    number: str,
) -> HandlerResult:
    """`/quiz [编号]`: an enterprise's person begins or goes on with a quiz; a manager sees the open ones."""
    if may_run(actor):
        lines = [T.QUIZ_USAGE]
        for q in await quiz_queries.open_quizzes(session, now):
            lines.append(T.QUIZ_OPEN_LINE.format(id=q.id, title=q.title, until=fmt_time(q.closes_at, settings.park.tz)))
        return Reply(text="\n".join(lines))
    if number:
        found = await _find(session, number)
        if isinstance(found, str):
            return Reply(text=found)
        chosen: Quiz | None = found
    else:
        mine = [q for q in await quiz_queries.open_quizzes(session, now) if may_take(actor, q)]
        chosen = None
        for q in mine:
            attempt = await quiz_queries.attempt_of(session, q.id, actor.id)
            if attempt is None or attempt.finished_at is None:
                chosen = q
                break
        if chosen is None and mine:
            chosen = mine[0]  # every open quiz taken: say so (with the score)
    if chosen is None:
        return Reply(text=T.QUIZ_NONE_OPEN if park_rules.role_allows(actor.role, Perm.QUIZ_TAKE) else T.QUIZ_NOT_FOR_ROLE)
    replies = await begin_replies(session, chosen, actor, msg.chat, reach, now)
    if isinstance(replies, str):
        return Reply(text=replies)
    if msg.chat.is_group:
        return [*replies, Reply(text=T.QUIZ_SENT_PRIVATELY_NAMED.format(name=actor.display_name))]
    return replies


def _numbers(spec: str) -> list[int] | None:
    """Return question numbers written `1-10,12`, or None when a range runs backwards or is too long."""
    numbers: list[int] = []
    for part in re.split(r"[,，、]", spec):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if last < first or last - first >= MAX_QUESTIONS:
            return None
        numbers += range(first, last + 1)
    return numbers


async def _start(
    session: AsyncSession, actor: Person, msg: Incoming, words: list[str], settings: Settings, now: datetime
) -> HandlerResult:
    """`/quiz <标题> <题目> <截止> [时间] [企业…]`: start a quiz and post its card to the park groups."""
    title = words[0][:TITLE_LIMIT]
    count: int | None = None
    numbers: list[int] = []
    everything = False
    day = None
    at_time = time(23, 59)
    names: list[str] = []
    for word in words[1:]:
        if count is None and not numbers and not everything:
            if match := COUNT_RE.fullmatch(word):
                count = int(match.group(1) or match.group(2))
                continue
            if match := NUMBERS_RE.fullmatch(word):
                parsed = _numbers(match.group(1))
                if parsed is None:
                    return Reply(text=T.QUIZ_BAD_QUESTIONS.format(text=word[:30]))
                numbers = parsed
                continue
            if word in ALL_WORDS:
                everything = True
                continue
        if day is not None and (match := TIME_RE.fullmatch(word)):
            at_time = time(int(match.group(1)), int(match.group(2)))
            continue
        if day is None and (count is not None or numbers or everything):
            try:
                day = parse_due(word, settings.park.day(now))
            except DueDateError as exc:
                return Reply(text=(T.QUIZ_PAST_END if exc.reason == "past" else T.QUIZ_BAD_END.format(text=word[:20])))
            continue
        names.append(word)
    if count is None and not numbers and not everything:
        return Reply(text=T.QUIZ_NEED_QUESTIONS)
    if day is None:
        return Reply(text=T.QUIZ_NEED_END)
    enterprise_ids: list[int] | None = None
    if names and names != ["全部企业"] and not (len(names) == 1 and names[0] in ALL_ENTERPRISES):
        enterprise_ids = []
        for name in names:
            matches = await park_queries.match_enterprises(session, name)
            exact = [e for e in matches if park_rules.is_exact(e, name)]
            if len(exact) != 1:
                return Reply(text=T.QUIZ_BAD_ENTERPRISE.format(text=name[:30]))
            enterprise_ids.append(exact[0].id)
    if everything:
        numbers = await quiz_queries.bank_ids(session)
        if not numbers:
            return Reply(text=T.QUIZ_EMPTY_BANK)
    closes_at = datetime.combine(day, at_time, settings.park.tz)
    try:
        change = await quiz_ops.start(
            session,
            actor=actor,
            title=title,
            closes_at=closes_at,
            at=now,
            count=count,
            numbers=numbers,
            enterprise_ids=enterprise_ids,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, None))
    quiz = change.subject
    card = await build_card(session, quiz, settings, now)
    done = T.QUIZ_STARTED.format(id=quiz.id, title=quiz.title, count=len(quiz.question_ids))
    return await broadcast(session, card, ("quiz", quiz.id), msg.chat, settings, done, None)
