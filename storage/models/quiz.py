"""The safety-month knowledge quiz (知识答题): the question bank, quizzes, one attempt per person and quiz,
and the answers given, one row per question as it is answered.

The rules are `domain/quiz/rules.py`; the operations `domain/quiz/operations.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import QuestionKind
from storage.models.base import Base, checked
from storage.models.park import Enterprise, Person


class QuizQuestion(Base):
    """One question of the bank: its kind, text, options (A, B, …), the correct letters and an explanation."""

    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[QuestionKind] = mapped_column(checked(QuestionKind, "kind"))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(10))  # the correct letters in order: "B", "ACD"
    explanation: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Quiz(Base):
    """A quiz a manager started: its questions in order, open until `closes_at`, for named enterprises or all."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    question_ids: Mapped[list[int]] = mapped_column(JSON)
    enterprise_ids: Mapped[list[int] | None] = mapped_column(JSON)  # None: every enterprise's people
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)

    author: Mapped[Person] = relationship(lazy="raise", foreign_keys=[author_id])


class QuizAttempt(Base):
    """One person's attempt at a quiz (once per person): where they are, what they have ticked on a
    multiple-choice question not yet submitted, and their score once finished."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    started_at: Mapped[datetime]
    position: Mapped[int] = mapped_column(Integer, default=0)  # the index of the question to answer next
    ticked: Mapped[str] = mapped_column(String(10), default="")  # multiple choice: the letters ticked so far
    correct: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    person: Mapped[Person] = relationship(lazy="raise")
    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    quiz: Mapped[Quiz] = relationship(lazy="raise")


class QuizAnswer(Base):
    """One answered question of an attempt: the letters chosen and whether they were exactly right."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id"))
    chosen: Mapped[str] = mapped_column(String(10))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]
