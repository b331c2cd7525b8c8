"""The knowledge quiz rules (知识答题): who imports questions, who starts and ends a quiz, who takes it,
when it is open, how an answer is marked and scored, and why an operation is refused.

Pure (no session, no SQLAlchemy; rows only in annotations), so they are tested as a table.
`domain/quiz/operations.py` checks them; `handlers/quiz/` words them. The bank file's rows are read by
`domain/quiz/bank.py`.
"""

from __future__ import annotations

import string
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.park.rules import Perm, role_allows
from storage.enums import QuestionKind

if TYPE_CHECKING:
    from storage.models import Person, Quiz, QuizAttempt

LETTERS = string.ascii_uppercase[:6]  # options A–F; a question has 2 to 6 of them
MIN_OPTIONS = 2
JUDGE_OPTIONS = ("对", "错")  # a true/false question's options: A 对, B 错
MAX_QUESTIONS = 100  # in one quiz
TITLE_LIMIT = 60


class Refusal(StrEnum):
    """Why a quiz operation was refused."""

    NOT_ALLOWED = "not_allowed"  # the role does not allow it
    NOT_PARTICIPANT = "not_participant"  # only an enterprise's people take quizzes
    NOT_INVITED = "not_invited"  # the person's enterprise is not among the quiz's enterprises
    CLOSED = "closed"  # the quiz is past its end, or was ended
    TAKEN = "taken"  # the person finished this quiz already: once per person
    NOT_YOURS = "not_yours"  # a press on someone else's attempt, or on another quiz's buttons
    ANSWERED = "answered"  # that question was answered already (a second or a stale press)
    BAD_OPTION = "bad_option"  # a letter the question does not have
    NOTHING_TICKED = "nothing_ticked"  # 提交 on a multiple-choice question with no option ticked
    EMPTY_BANK = "empty_bank"  # no questions to pick from
    TOO_FEW = "too_few"  # more questions asked for than the bank holds
    UNKNOWN_QUESTIONS = "unknown_questions"  # question numbers the bank does not have
    PAST_END = "past_end"  # the end is not in the future
    ENDED = "ended"  # ending a quiz that is closed already


def may_import(person: Person) -> bool:
    """Tell whether the person may import questions into the bank: managers and admins."""
    return role_allows(person.role, Perm.QUIZ_BANK)


def may_run(person: Person) -> bool:
    """Tell whether the person may start and end quizzes and get the per-person sheet: managers and admins."""
    return role_allows(person.role, Perm.QUIZ_RUN)


def may_take(person: Person, quiz: Quiz) -> bool:
    """Tell whether the person may take the quiz: an enterprise's lead or member, of an invited enterprise
    (a quiz without a list invites every enterprise)."""
    if not role_allows(person.role, Perm.QUIZ_TAKE) or person.enterprise_id is None:
        return False
    return invites(quiz, person.enterprise_id)


def invites(quiz: Quiz, enterprise_id: int) -> bool:
    """Tell whether an enterprise's people are invited to the quiz."""
    return quiz.enterprise_ids is None or enterprise_id in quiz.enterprise_ids


def is_open(quiz: Quiz, now: datetime) -> bool:
    """Tell whether the quiz still takes answers: not ended, and before its end time."""
    return quiz.closed_at is None and now < quiz.closes_at


def due_to_close(quiz: Quiz, now: datetime) -> bool:
    """Tell whether the scheduler closes the quiz now: not ended yet, and its end time has come."""
    return quiz.closed_at is None and now >= quiz.closes_at


def is_finished(attempt: QuizAttempt) -> bool:
    """Tell whether the person has answered every question of their attempt."""
    return attempt.finished_at is not None


def options_of(kind: QuestionKind, options: list[str]) -> list[str]:
    """Return a question's options: a true/false question always has 对 / 错."""
    return list(JUDGE_OPTIONS) if kind == QuestionKind.JUDGE else options


def letters_of(count: int) -> str:
    """Return the letters of a question's options: 4 → "ABCD"."""
    return LETTERS[:count]


def normal_letters(text: str) -> str:
    """Return chosen letters in their stored form: upper case, each once, in order ("ca" → "AC")."""
    return "".join(sorted({c.upper() for c in text}))


def is_correct(answer: str, chosen: str) -> bool:
    """Tell whether an answer is right: exactly the correct letters, no more and no fewer (multiple
    choice gets no part marks)."""
    return bool(chosen) and normal_letters(answer) == normal_letters(chosen)


def with_tick(ticked: str, letter: str, on: bool) -> str:
    """Return the letters ticked on a multiple-choice question after setting one option on or off."""
    now = set(ticked)
    if on:
        now.add(letter)
    else:
        now.discard(letter)
    return normal_letters("".join(now))


def score(correct: int, total: int) -> int:
    """Return a score out of 100, rounded half up: 7 of 9 → 78."""
    if total <= 0:
        return 0
    return (correct * 200 + total) // (total * 2)


def average(scores: list[int]) -> float | None:
    """Return the average of scores to one decimal, or None when nobody finished."""
    if not scores:
        return None
    return round(sum(scores) / len(scores), 1)


def answer_refusal(
    quiz: Quiz, attempt: QuizAttempt, actor: Person, quiz_id: int, position: int, now: datetime
) -> Refusal | None:
    """Return why a press on an answer button (of quiz `quiz_id`, question `position`) is refused, or None.

    The button names the attempt; it must be the actor's own, of that very quiz, at the question they
    have not answered yet, while the quiz is open."""
    if attempt.person_id != actor.id or attempt.quiz_id != quiz_id or quiz.id != quiz_id:
        return Refusal.NOT_YOURS
    if is_finished(attempt) or position < attempt.position:
        return Refusal.ANSWERED
    if position != attempt.position:  # a question not reached yet: only made-up data names it
        return Refusal.NOT_YOURS
    if not is_open(quiz, now):
        return Refusal.CLOSED
    return None
