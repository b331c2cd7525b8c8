"""The knowledge quiz operations (知识答题): import questions into the bank, start a quiz, begin (or go
on with) one's attempt, tick options, answer a question, close a quiz.

Each operation checks its rule (`domain/quiz/rules.py`), changes rows (an attempt under a lock), writes
the audit row and returns a `domain.outcome.Change` or raises `Refused`. An answer is its own row
(`quiz_answers`, one per question and attempt: a unique constraint, so a question is answered once);
that row is the change's event.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain import events
from domain.outcome import Change, Refused
from domain.park.rules import Perm, role_allows
from domain.quiz import queries
from domain.quiz.bank import Draft
from domain.quiz.rules import (
    MAX_QUESTIONS,
    Refusal,
    answer_refusal,
    invites,
    is_correct,
    is_finished,
    is_open,
    letters_of,
    may_import,
    may_run,
    may_take,
    normal_letters,
    with_tick,
)
from storage.audit import audit
from storage.enums import QuestionKind
from storage.models import Person, Quiz, QuizAnswer, QuizAttempt, QuizQuestion


async def import_questions(
    session: AsyncSession, actor: Person, drafts: Sequence[Draft], at: datetime
) -> Change[list[QuizQuestion]]:
    """Add the drafts to the bank; questions whose text the bank has already are skipped (`added` counts
    the new ones)."""
    if not may_import(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    known = await queries.bank_texts(session)
    added = [
        QuizQuestion(
            kind=d.kind,
            text=d.text,
            options=d.options,
            answer=d.answer,
            explanation=d.explanation,
            author_id=actor.id,
            created_at=at,
        )
        for d in drafts
        if d.text not in known
    ]
    session.add_all(added)
    await session.flush()
    await audit(session, at, actor, "quiz.bank_import", "quiz_bank", None, added=len(added), skipped=len(drafts) - len(added))
    return Change(added, added or None, added=len(added))


async def start(
    session: AsyncSession,
    *,
    actor: Person,
    title: str,
    closes_at: datetime,
    at: datetime,
    count: int | None = None,
    numbers: Sequence[int] = (),
    enterprise_ids: Sequence[int] | None = None,
) -> Change[Quiz]:
    """Start a quiz of the bank's questions `numbers` (in that order), or of `count` picked at random,
    open until `closes_at`, for the enterprises named (None: every enterprise's people)."""
    if not may_run(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    if closes_at <= at:
        raise Refused(Refusal.PAST_END)
    ids = await queries.bank_ids(session)
    if not ids:
        raise Refused(Refusal.EMPTY_BANK)
    if numbers:
        unknown = [n for n in numbers if n not in set(ids)]
        if unknown:
            raise Refused(Refusal.UNKNOWN_QUESTIONS, numbers=unknown)
        picked = list(dict.fromkeys(numbers))
    else:
        wanted = count or 0
        if wanted > len(ids) or wanted > MAX_QUESTIONS:
            raise Refused(Refusal.TOO_FEW, have=len(ids), wanted=wanted)
        picked = sorted(random.SystemRandom().sample(ids, wanted))
    if not picked or len(picked) > MAX_QUESTIONS:
        raise Refused(Refusal.TOO_FEW, have=len(ids), wanted=len(picked))
    quiz = Quiz(
        title=title,
        question_ids=picked,
        enterprise_ids=sorted(set(enterprise_ids)) if enterprise_ids is not None else None,
        author_id=actor.id,
        created_at=at,
        closes_at=closes_at,
    )
    session.add(quiz)
    set_committed_value(quiz, "author", actor)
    await session.flush()
    await audit(session, at, actor, "quiz.start", "quiz", quiz.id, questions=len(picked))
    return Change(quiz, quiz)


async def begin(session: AsyncSession, quiz: Quiz, actor: Person, at: datetime) -> Change[QuizAttempt]:
    """Begin the person's attempt at the quiz, or return the one they started (to go on with it); the
    event is None when they go on. A finished attempt is refused: once per person."""
    if not may_take(actor, quiz):
        if not role_allows(actor.role, Perm.QUIZ_TAKE) or actor.enterprise_id is None:
            raise Refused(Refusal.NOT_PARTICIPANT)
        raise Refused(Refusal.NOT_INVITED)
    attempt = await queries.attempt_of(session, quiz.id, actor.id)
    if attempt is not None and is_finished(attempt):
        raise Refused(Refusal.TAKEN, attempt)
    if not is_open(quiz, at):
        raise Refused(Refusal.CLOSED, quiz)
    if attempt is not None:
        return Change(attempt)
    assert actor.enterprise_id is not None
    attempt = QuizAttempt(
        quiz_id=quiz.id, person_id=actor.id, enterprise_id=actor.enterprise_id, started_at=at, position=0, ticked="", correct=0
    )
    session.add(attempt)
    await session.flush()
    await audit(session, at, actor, "quiz.begin", "quiz", quiz.id)
    return Change(attempt, attempt)


async def _checked(
    session: AsyncSession, actor: Person, quiz_id: int, attempt_id: int, position: int, at: datetime
) -> tuple[Quiz, QuizAttempt, QuizQuestion]:
    """Return the quiz, the attempt and the question a press names, re-read under a lock, or refuse it."""
    attempt = await queries.get_attempt(session, attempt_id)
    if attempt is None:
        raise Refused(Refusal.NOT_YOURS)
    await events.lock(session, attempt)
    quiz = await queries.get(session, attempt.quiz_id)
    assert quiz is not None
    refusal = answer_refusal(quiz, attempt, actor, quiz_id, position, at)
    if refusal is not None:
        raise Refused(refusal, attempt)
    if not invites(quiz, attempt.enterprise_id) or position >= len(quiz.question_ids):
        raise Refused(Refusal.NOT_YOURS, attempt)
    found = await queries.question(session, quiz.question_ids[position])
    if found is None:
        raise Refused(Refusal.NOT_YOURS, attempt)
    return quiz, attempt, found


async def tick(
    session: AsyncSession,
    actor: Person,
    *,
    quiz_id: int,
    attempt_id: int,
    position: int,
    letter: str,
    on: bool,
    at: datetime,
) -> Change[QuizAttempt]:
    """Set one option of a multiple-choice question ticked or not (the press sets a value; pressing
    twice changes nothing). Nothing is marked until 提交."""
    _, attempt, found = await _checked(session, actor, quiz_id, attempt_id, position, at)
    if found.kind != QuestionKind.MULTIPLE or letter not in letters_of(len(found.options)):
        raise Refused(Refusal.BAD_OPTION, attempt)
    ticked = with_tick(attempt.ticked, letter, on)
    if ticked == attempt.ticked:
        return Change(attempt)
    attempt.ticked = ticked
    return Change(attempt, attempt)


async def answer(
    session: AsyncSession,
    actor: Person,
    *,
    quiz_id: int,
    attempt_id: int,
    position: int,
    letter: str | None,
    at: datetime,
    typed: str | None = None,
) -> Change[QuizAttempt]:
    """Answer the question at `position`: a single-choice or true/false question with its `letter`, a
    multiple-choice one (letter None: 提交) with the options ticked, or with the letters `typed` in a
    command (`/quiz ACD`, where a platform has no buttons). The answer row is the event; the attempt moves
    to the next question, and is finished after the last one."""
    quiz, attempt, found = await _checked(session, actor, quiz_id, attempt_id, position, at)
    allowed = letters_of(len(found.options))
    if typed is not None:
        chosen = normal_letters(typed)
        single = found.kind != QuestionKind.MULTIPLE
        if not chosen or any(c not in allowed for c in chosen) or (single and len(chosen) != 1):
            raise Refused(Refusal.BAD_OPTION, attempt)
    elif found.kind == QuestionKind.MULTIPLE:
        if letter is not None:
            raise Refused(Refusal.BAD_OPTION, attempt)
        chosen = normal_letters(attempt.ticked)
        if not chosen:
            raise Refused(Refusal.NOTHING_TICKED, attempt)
    else:
        if letter is None or letter not in allowed:
            raise Refused(Refusal.BAD_OPTION, attempt)
        chosen = letter
    right = is_correct(found.answer, chosen)
    row = QuizAnswer(
        attempt_id=attempt.id, position=position, question_id=found.id, chosen=chosen, is_correct=right, at=at
    )
    session.add(row)
    attempt.position = position + 1
    attempt.ticked = ""
    attempt.correct += int(right)
    if attempt.position >= len(quiz.question_ids):
        attempt.finished_at = at
        await audit(session, at, actor, "quiz.finish", "quiz", quiz.id, correct=attempt.correct)
    await session.flush()
    return Change(attempt, row)


async def close(session: AsyncSession, quiz: Quiz, actor: Person | None, at: datetime) -> Change[Quiz]:
    """End a quiz now (a manager's /quiz end), or when its time has come (the scheduler: actor None)."""
    if actor is not None and not may_run(actor):
        raise Refused(Refusal.NOT_ALLOWED)
    await events.lock(session, quiz)
    if quiz.closed_at is not None:
        raise Refused(Refusal.ENDED, quiz)
    quiz.closed_at = at
    quiz.closed_by_id = actor.id if actor is not None else None
    await audit(session, at, actor, "quiz.close", "quiz", quiz.id)
    return Change(quiz, quiz)
