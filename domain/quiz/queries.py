"""Reads of the knowledge quiz (知识答题): quizzes, attempts, the bank, the figures per enterprise, the
per-person sheet, and the year's participation and scores for the year-end summary (`year_figures`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.quiz.rules import average, score
from storage.enums import ENTERPRISE_ROLES
from storage.models import Enterprise, Person, Quiz, QuizAnswer, QuizAttempt, QuizQuestion


@dataclass(frozen=True)
class EnterpriseFigures:
    """One enterprise on the result card: people invited, started, finished, and their average score."""

    enterprise_id: int
    name: str
    people: int
    started: int
    finished: int
    average: float | None


@dataclass(frozen=True)
class SheetRow:
    """One person on the per-person sheet."""

    enterprise: str
    name: str
    started_at: datetime
    finished_at: datetime | None
    answered: int
    correct: int
    total: int
    score: int | None  # None: not finished


@dataclass(frozen=True)
class YearFigures:
    """The year's quizzes for the annual summary: how many were held, how many people of how many
    enterprises finished one (person-times), and their average score."""

    quizzes: int
    person_times: int  # finished attempts
    people: int  # distinct people who finished one
    enterprises: int  # distinct enterprises with someone who finished one
    average: float | None


async def get(session: AsyncSession, quiz_id: int) -> Quiz | None:
    """Return one quiz by id, with its author."""
    return await session.get(Quiz, quiz_id, options=[joinedload(Quiz.author)])


async def open_quizzes(session: AsyncSession, now: datetime) -> Sequence[Quiz]:
    """Return the quizzes still taking answers, newest first."""
    rows = await session.scalars(
        select(Quiz)
        .options(joinedload(Quiz.author))
        .where(Quiz.closed_at.is_(None), Quiz.closes_at > now)
        .order_by(Quiz.id.desc())
    )
    return rows.unique().all()


async def to_close(session: AsyncSession, now: datetime) -> Sequence[Quiz]:
    """Return the quizzes whose end time has come and that are not closed yet, oldest first."""
    rows = await session.scalars(
        select(Quiz)
        .options(joinedload(Quiz.author))
        .where(Quiz.closed_at.is_(None), Quiz.closes_at <= now)
        .order_by(Quiz.id)
    )
    return rows.unique().all()


async def latest(session: AsyncSession) -> Quiz | None:
    """Return the newest quiz."""
    return await session.scalar(select(Quiz).options(joinedload(Quiz.author)).order_by(Quiz.id.desc()).limit(1))


async def attempt_of(session: AsyncSession, quiz_id: int, person_id: int) -> QuizAttempt | None:
    """Return a person's attempt at a quiz."""
    return await session.scalar(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.person_id == person_id)
    )


async def get_attempt(session: AsyncSession, attempt_id: int) -> QuizAttempt | None:
    """Return one attempt by id."""
    return await session.get(QuizAttempt, attempt_id)


async def question(session: AsyncSession, question_id: int) -> QuizQuestion | None:
    """Return one question of the bank."""
    return await session.get(QuizQuestion, question_id)


async def bank(session: AsyncSession) -> Sequence[QuizQuestion]:
    """Return the whole bank by number."""
    return (await session.scalars(select(QuizQuestion).order_by(QuizQuestion.id))).all()


async def bank_ids(session: AsyncSession) -> list[int]:
    """Return the numbers of the bank's questions."""
    return list((await session.scalars(select(QuizQuestion.id).order_by(QuizQuestion.id))).all())


async def bank_texts(session: AsyncSession) -> set[str]:
    """Return the texts of the questions in the bank (an import skips those it has already)."""
    return set((await session.scalars(select(QuizQuestion.text))).all())


async def answer_of(session: AsyncSession, attempt_id: int, position: int) -> QuizAnswer | None:
    """Return the answer given to one question of an attempt."""
    return await session.scalar(
        select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id, QuizAnswer.position == position)
    )


async def invited_enterprises(session: AsyncSession, quiz: Quiz) -> Sequence[Enterprise]:
    """Return the enterprises a quiz invites (all active ones when it names none), by name."""
    query = select(Enterprise).order_by(Enterprise.name)
    if quiz.enterprise_ids is None:
        query = query.where(Enterprise.active.is_(True))
    else:
        query = query.where(Enterprise.id.in_(quiz.enterprise_ids))
    return (await session.scalars(query)).all()


async def figures(session: AsyncSession, quiz: Quiz) -> list[EnterpriseFigures]:
    """Count each invited enterprise's people, who started, who finished and their average score."""
    enterprises = await invited_enterprises(session, quiz)
    ids = [e.id for e in enterprises]
    people = dict(
        (
            await session.execute(
                select(Person.enterprise_id, func.count(Person.id))
                .where(Person.enterprise_id.in_(ids), Person.role.in_(ENTERPRISE_ROLES))
                .group_by(Person.enterprise_id)
            )
        ).all()
    )
    started: dict[int, int] = {}
    scores: dict[int, list[int]] = {}
    total = len(quiz.question_ids)
    for attempt in (await session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id))).all():
        started[attempt.enterprise_id] = started.get(attempt.enterprise_id, 0) + 1
        if attempt.finished_at is not None:
            scores.setdefault(attempt.enterprise_id, []).append(score(attempt.correct, total))
    return [
        EnterpriseFigures(
            e.id,
            e.name,
            int(people.get(e.id, 0)),
            started.get(e.id, 0),
            len(scores.get(e.id, [])),
            average(scores.get(e.id, [])),
        )
        for e in enterprises
    ]


async def sheet(session: AsyncSession, quiz: Quiz) -> list[SheetRow]:
    """Return every person who started the quiz, by enterprise and name, with their answers counted."""
    total = len(quiz.question_ids)
    attempts = (
        await session.scalars(
            select(QuizAttempt)
            .options(joinedload(QuizAttempt.person), joinedload(QuizAttempt.enterprise))
            .where(QuizAttempt.quiz_id == quiz.id)
        )
    ).all()
    rows = [
        SheetRow(
            a.enterprise.name,
            a.person.display_name,
            a.started_at,
            a.finished_at,
            a.position,
            a.correct,
            total,
            score(a.correct, total) if a.finished_at is not None else None,
        )
        for a in attempts
    ]
    return sorted(rows, key=lambda r: (r.enterprise, r.name))


async def year_figures(session: AsyncSession, start: datetime, end: datetime) -> YearFigures:
    """Return the quizzes started between `start` and `end` (a year), who finished them and the average
    score: what the year-end summary states about the knowledge quiz (知识答题)."""
    quizzes = (await session.scalars(select(Quiz).where(Quiz.created_at >= start, Quiz.created_at < end))).all()
    totals = {q.id: len(q.question_ids) for q in quizzes}
    finished = (
        await session.scalars(
            select(QuizAttempt).where(QuizAttempt.quiz_id.in_(totals), QuizAttempt.finished_at.is_not(None))
        )
    ).all()
    scores = [score(a.correct, totals[a.quiz_id]) for a in finished]
    return YearFigures(
        quizzes=len(quizzes),
        person_times=len(finished),
        people=len({a.person_id for a in finished}),
        enterprises=len({a.enterprise_id for a in finished}),
        average=average(scores),
    )
