"""The knowledge quiz's cards (知识答题): the group card that announces a quiz with 开始答题 and counts
participation and the average score per enterprise (edited in place as people finish), and one
question card per question in a person's private chat, with its answer buttons.

The button data names the quiz, the person's attempt, the question's place and a letter, never whether
a letter is right: the answer key reaches a person only on the card of a question they have answered.
No routes here: `take.py` and `quiz.py` build on it. The rules are `domain/quiz/rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, Card, CardField, CardStatus
from domain.outcome import Refused
from domain.quiz import queries as quiz_queries
from domain.quiz.rules import Refusal, is_open, letters_of, score
from handlers import texts as T
from handlers.util import fmt_time
from storage.enums import QuestionKind
from storage.models import Quiz, QuizAnswer, QuizAttempt, QuizQuestion

CARD_KIND = "quiz"
QUESTION_KIND = "quizq"


@dataclass(frozen=True)
class BeginButton(CallbackData, prefix="qzbegin"):
    """开始答题 / 继续答题: begin or go on with one's attempt (privately)."""

    quiz_id: int


@dataclass(frozen=True)
class PickButton(CallbackData, prefix="qzpick"):
    """One option of a single-choice or true/false question: answers it."""

    quiz_id: int
    attempt_id: int
    position: int
    letter: Literal["A", "B", "C", "D", "E", "F"]


@dataclass(frozen=True)
class TickButton(CallbackData, prefix="qztick"):
    """One option of a multiple-choice question: sets it ticked (`on` 1) or not (0); nothing is marked yet."""

    quiz_id: int
    attempt_id: int
    position: int
    letter: Literal["A", "B", "C", "D", "E", "F"]
    on: Literal["1", "0"]


@dataclass(frozen=True)
class SubmitButton(CallbackData, prefix="qzsubmit"):
    """提交 on a multiple-choice question: answers it with the options ticked."""

    quiz_id: int
    attempt_id: int
    position: int


def card_key_of(quiz: Quiz) -> str:
    """Return the key of a quiz's group card."""
    return f"{CARD_KIND}:{quiz.id}"


def question_key(attempt: QuizAttempt, position: int) -> str:
    """Return the key of one question card of one attempt."""
    return f"{QUESTION_KIND}:{attempt.id}:{position}"


def kind_name(kind: QuestionKind) -> str:
    """Return a question kind in words."""
    return T.QUIZ_KINDS[kind]


def _enterprise_line(f: quiz_queries.EnterpriseFigures) -> str:
    if f.people == 0 and f.started == 0:
        return T.QUIZ_ENTERPRISE_NOBODY.format(enterprise=f.name)
    avg = T.QUIZ_AVERAGE.format(average=f"{f.average:g}") if f.average is not None else T.QUIZ_NO_AVERAGE
    return T.QUIZ_ENTERPRISE_LINE.format(enterprise=f.name, finished=f.finished, people=f.people, average=avg)


async def build_card(session: AsyncSession, quiz: Quiz, settings: Settings, now: datetime) -> Card:
    """Build a quiz's group card: title, questions, until when, who may take it, and per enterprise how
    many finished of how many people with their average score; 开始答题 while it is open."""
    figures = await quiz_queries.figures(session, quiz)
    finished = sum(f.finished for f in figures)
    people = sum(f.people for f in figures)
    weighted = [(f.average or 0.0) * f.finished for f in figures if f.finished]
    overall = round(sum(weighted) / finished, 1) if finished else None
    scope = T.QUIZ_SCOPE_ALL if quiz.enterprise_ids is None else "、".join(f.name for f in figures)
    fields = [
        CardField("title", T.QF_TITLE, quiz.title),
        CardField("questions", T.QF_QUESTIONS, T.QUIZ_QUESTION_COUNT.format(count=len(quiz.question_ids))),
        CardField("until", T.QF_UNTIL, fmt_time(quiz.closes_at, settings.park.tz)),
        CardField("scope", T.QF_SCOPE, scope),
        CardField("finished", T.QF_FINISHED, T.QUIZ_FINISHED_COUNT.format(finished=finished, people=people)),
        CardField(
            "average",
            T.QF_AVERAGE,
            T.QUIZ_AVERAGE.format(average=f"{overall:g}") if overall is not None else T.QUIZ_NO_AVERAGE,
        ),
        CardField("enterprises", T.QF_ENTERPRISES, "\n".join(_enterprise_line(f) for f in figures) or T.NONE),
    ]
    actions: tuple[tuple[Button, ...], ...] = ()
    if is_open(quiz, now):
        status = CardStatus("open", T.QUIZ_STATUS_OPEN, T.F_STATUS)
        fields.append(CardField("how", T.QF_HOW, T.QUIZ_HOW))
        actions = ((Button(T.BTN_QUIZ_BEGIN, BeginButton(quiz.id).pack(), "/quiz"),),)
    else:
        status = CardStatus("closed", T.QUIZ_STATUS_CLOSED, T.F_STATUS)
    return Card(
        key=card_key_of(quiz),
        kind=CARD_KIND,
        title=T.QUIZ_CARD_TITLE.format(id=quiz.id),
        fields=tuple(fields),
        status=status,
        actions=actions,
    )


def _options_text(found: QuizQuestion) -> str:
    letters = letters_of(len(found.options))
    return "\n".join(f"{letter}. {text}" for letter, text in zip(letters, found.options, strict=True))


def question_card(quiz: Quiz, attempt: QuizAttempt, found: QuizQuestion) -> Card:
    """Build the card of the question the person answers next, with its buttons: a press on an option
    answers a single-choice or true/false question; a multiple-choice one ticks options, then 提交.
    Nothing on it says which option is right."""
    position = attempt.position
    total = len(quiz.question_ids)
    letters = letters_of(len(found.options))
    fields = [
        CardField("question", T.QF_QUESTION, found.text),
        CardField("options", T.QF_OPTIONS, _options_text(found)),
    ]
    rows: list[tuple[Button, ...]] = []
    if found.kind == QuestionKind.MULTIPLE:
        ticked = attempt.ticked
        fields.append(CardField("ticked", T.QF_TICKED, ticked or T.NONE))
        fields.append(CardField("how", T.QF_HOW, T.QUIZ_MULTIPLE_HOW))
        rows.append(
            tuple(
                Button(
                    (T.QUIZ_TICKED if letter in ticked else T.QUIZ_UNTICKED).format(letter=letter),
                    TickButton(quiz.id, attempt.id, position, letter, "0" if letter in ticked else "1").pack(),  # type: ignore[arg-type]
                )
                for letter in letters
            )
        )
        # The command twin answers with what is ticked (where a platform shows no buttons, or more than it has).
        twin = f"/quiz {ticked}" if ticked else None
        rows.append((Button(T.BTN_QUIZ_SUBMIT, SubmitButton(quiz.id, attempt.id, position).pack(), twin),))
    else:
        labels = T.QUIZ_JUDGE_LABELS if found.kind == QuestionKind.JUDGE else {}
        rows.append(
            tuple(
                Button(
                    labels.get(letter, letter),
                    PickButton(quiz.id, attempt.id, position, letter).pack(),  # type: ignore[arg-type]
                    f"/quiz {labels.get(letter, letter)}",
                )
                for letter in letters
            )
        )
    return Card(
        key=question_key(attempt, position),
        kind=QUESTION_KIND,
        title=T.QUIZ_QUESTION_TITLE.format(
            title=quiz.title, number=position + 1, total=total, kind=kind_name(found.kind)
        ),
        fields=tuple(fields),
        status=CardStatus("asking", T.QUIZ_STATUS_ASKING, T.F_STATUS),
        actions=tuple(rows),
    )


def answered_card(quiz: Quiz, attempt: QuizAttempt, found: QuizQuestion, answer: QuizAnswer) -> Card:
    """Build the card of a question once answered: the answer given, the correct one and the explanation;
    no buttons."""
    total = len(quiz.question_ids)
    fields = [
        CardField("question", T.QF_QUESTION, found.text),
        CardField("options", T.QF_OPTIONS, _options_text(found)),
        CardField("chosen", T.QF_CHOSEN, answer.chosen),
        CardField("answer", T.QF_ANSWER, found.answer),
    ]
    if found.explanation:
        fields.append(CardField("explanation", T.QF_EXPLANATION, found.explanation))
    status = (
        CardStatus("right", T.QUIZ_RIGHT, T.F_STATUS)
        if answer.is_correct
        else CardStatus("wrong", T.QUIZ_WRONG, T.F_STATUS)
    )
    return Card(
        key=f"{QUESTION_KIND}:{attempt.id}:{answer.position}",
        kind=QUESTION_KIND,
        title=T.QUIZ_QUESTION_TITLE.format(
            title=quiz.title, number=answer.position + 1, total=total, kind=kind_name(found.kind)
        ),
        fields=tuple(fields),
        status=status,
    )


def finished_text(quiz: Quiz, attempt: QuizAttempt) -> str:
    """Say a person's result once they answered the last question."""
    total = len(quiz.question_ids)
    return T.QUIZ_DONE.format(
        title=quiz.title, correct=attempt.correct, total=total, score=score(attempt.correct, total)
    )


def refusal_text(exc: Refused, quiz: Quiz | None) -> str:
    """Say why a quiz operation was refused."""
    detail = exc.detail
    match exc.reason:
        case Refusal.TAKEN:
            attempt: QuizAttempt = exc.subject
            total = len(quiz.question_ids) if quiz is not None else 0
            return T.QUIZ_TAKEN.format(correct=attempt.correct, total=total, score=score(attempt.correct, total))
        case Refusal.CLOSED:
            return T.QUIZ_CLOSED
        case Refusal.NOT_PARTICIPANT:
            return T.QUIZ_NOT_FOR_ROLE
        case Refusal.NOT_INVITED:
            return T.QUIZ_NOT_INVITED
        case Refusal.NOT_YOURS:
            return T.QUIZ_NOT_YOURS
        case Refusal.ANSWERED:
            return T.QUIZ_ANSWERED
        case Refusal.BAD_OPTION:
            return T.QUIZ_BAD_OPTION
        case Refusal.NOTHING_TICKED:
            return T.QUIZ_NOTHING_TICKED
        case Refusal.EMPTY_BANK:
            return T.QUIZ_EMPTY_BANK
        case Refusal.TOO_FEW:
            return T.QUIZ_TOO_FEW.format(have=detail.get("have", 0), wanted=detail.get("wanted", 0))
        case Refusal.UNKNOWN_QUESTIONS:
            return T.QUIZ_UNKNOWN_QUESTIONS.format(numbers="、".join(str(n) for n in detail.get("numbers", [])))
        case Refusal.PAST_END:
            return T.QUIZ_PAST_END
        case Refusal.ENDED:
            return T.QUIZ_ENDED_ALREADY
        case _:
            return T.QUIZ_NOT_ALLOWED
