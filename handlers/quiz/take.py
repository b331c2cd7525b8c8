"""Taking a quiz (知识答题), privately, one question at a time: 开始答题 on the group card (or `/quiz`)
begins the person's attempt or goes on where they stopped; an option answers a single-choice or
true/false question; a multiple-choice one ticks options, then 提交. Each answer is recorded at once; the
question's card then shows the answer given, the correct one and the explanation, and the next question
follows. After the last one the person hears their score and the group card counts them in place.

Every press is checked by `domain/quiz/operations.py` (whose attempt, which quiz, which question, still
open, answered already): a forged or stale press changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import ButtonPress, ChatRef, Reply
from bot.routing import HandlerResult, Router
from domain.outcome import Refused
from domain.park.rules import Perm
from domain.quiz import operations as quiz_ops
from domain.quiz import queries as quiz_queries
from domain.quiz.rules import Refusal, is_finished, is_open, may_take
from handlers import texts as T
from handlers.broadcast import private_chat
from handlers.quiz.card import (
    BeginButton,
    PickButton,
    SubmitButton,
    TickButton,
    answered_card,
    build_card,
    finished_text,
    question_card,
    refusal_text,
)
from handlers.util import Reach, recipient, refuse
from storage.models import Person, Quiz, QuizAnswer, QuizAttempt

router = Router("quiz.take")


async def next_question(session: AsyncSession, quiz: Quiz, attempt: QuizAttempt) -> Reply:
    """Return the card of the question the person answers next."""
    found = await quiz_queries.question(session, quiz.question_ids[attempt.position])
    assert found is not None  # questions are never deleted from the bank
    return Reply(card=question_card(quiz, attempt, found))


async def begin_replies(
    session: AsyncSession, quiz: Quiz, actor: Person, chat: ChatRef, reach: Reach, now: datetime
) -> list[Reply] | str:
    """Begin or go on with the person's attempt: its current question, in their private chat (from a
    group) or here; a string says why not."""
    private = chat if not chat.is_group else private_chat(actor, reach)
    if private is None:
        # Ask for the private chat only of someone who could take the quiz now; anyone else hears why not.
        attempt = await quiz_queries.attempt_of(session, quiz.id, actor.id)
        if may_take(actor, quiz) and is_open(quiz, now) and (attempt is None or not is_finished(attempt)):
            return T.QUIZ_NEED_PRIVATE.format(name=actor.display_name)
    try:
        change = await quiz_ops.begin(session, quiz, actor, now)
    except Refused as exc:
        return refusal_text(exc, quiz)
    attempt = change.subject
    total = len(quiz.question_ids)
    said = (
        T.QUIZ_BEGUN.format(title=quiz.title, total=total)
        if change.changed
        else T.QUIZ_GO_ON.format(title=quiz.title, answered=attempt.position, total=total)
    )
    question = await next_question(session, quiz, attempt)
    if chat.is_group:
        to = (recipient(actor),)
        return [Reply(text=said, people=to), Reply(card=question.card, people=to)]
    return [Reply(text=said), question]


@router.button(BeginButton, perm=Perm.PUBLIC)
async def begin_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: BeginButton,
    reach: Reach,
) -> HandlerResult:
    """开始答题 / 继续答题: send the person their next question privately."""
    quiz = await quiz_queries.get(session, button.quiz_id)
    if quiz is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    replies = await begin_replies(session, quiz, actor, press.chat, reach, now)
    if isinstance(replies, str):
        return Reply(text=replies, toast=True)
    if press.chat.is_group:
        return [*replies, Reply(text=T.QUIZ_SENT_PRIVATELY, toast=True)]
    return replies


@router.button(PickButton, perm=Perm.QUIZ_TAKE)
async def pick_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: PickButton,
) -> HandlerResult:
    """Answer a single-choice or true/false question with the option pressed."""
    return await _answer(session, actor, press, settings, now, button.quiz_id, button.attempt_id, button.position, button.letter)


@router.button(SubmitButton, perm=Perm.QUIZ_TAKE)
async def submit_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: SubmitButton,
) -> HandlerResult:
    """提交: answer a multiple-choice question with the options ticked."""
    return await _answer(session, actor, press, settings, now, button.quiz_id, button.attempt_id, button.position, None)


@router.button(TickButton, perm=Perm.QUIZ_TAKE)
async def tick_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: TickButton,
) -> HandlerResult:
    """Tick or untick one option of a multiple-choice question; the card shows what is ticked."""
    try:
        change = await quiz_ops.tick(
            session,
            actor,
            quiz_id=button.quiz_id,
            attempt_id=button.attempt_id,
            position=button.position,
            letter=button.letter,
            on=button.on == "1",
            at=now,
        )
    except Refused as exc:
        return await _refused(session, actor, press, now, exc)
    attempt = change.subject
    quiz = await quiz_queries.get(session, attempt.quiz_id)
    assert quiz is not None
    question = await next_question(session, quiz, attempt)
    assert question.card is not None
    toast = T.QUIZ_TICKED_TOAST.format(ticked=attempt.ticked or T.NONE)
    return [Reply(card=question.card, edit=True), Reply(text=toast, toast=True)]


async def _refused(session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, exc: Refused) -> Reply:
    """Refuse a press; one that names someone else's attempt or a question not reached is logged as forged."""
    attempt = exc.subject if isinstance(exc.subject, QuizAttempt) else None
    quiz = await quiz_queries.get(session, attempt.quiz_id) if attempt is not None else None
    text = refusal_text(exc, quiz)
    if exc.reason in (Refusal.NOT_YOURS, Refusal.BAD_OPTION):
        return await refuse(session, actor, press, now, text)
    return Reply(text=text, toast=True)


async def _answer(
    session: AsyncSession,
    actor: Person,
    press: ButtonPress,
    settings: Settings,
    now: datetime,
    quiz_id: int,
    attempt_id: int,
    position: int,
    letter: str | None,
) -> HandlerResult:
    """Record an answer pressed; show the question answered (with the key), then the next one or the score."""
    try:
        change = await quiz_ops.answer(
            session, actor, quiz_id=quiz_id, attempt_id=attempt_id, position=position, letter=letter, at=now
        )
    except Refused as exc:
        return await _refused(session, actor, press, now, exc)
    assert change.event is not None
    right = T.QUIZ_RIGHT if change.event.is_correct else T.QUIZ_WRONG
    return [*await answered_replies(session, change.subject, change.event, settings, now), Reply(text=right, toast=True)]


async def answered_replies(
    session: AsyncSession, attempt: QuizAttempt, given: QuizAnswer, settings: Settings, now: datetime
) -> list[Reply]:
    """Return what an answer shows: the question's card edited to the answer given, the correct one and
    the explanation; then the next question, or the score and the group card counted in place."""
    quiz = await quiz_queries.get(session, attempt.quiz_id)
    assert quiz is not None
    found = await quiz_queries.question(session, given.question_id)
    assert found is not None
    replies = [Reply(card=answered_card(quiz, attempt, found, given), edit=True)]
    if not is_finished(attempt):
        replies.append(await next_question(session, quiz, attempt))
        return replies
    replies.append(Reply(text=finished_text(quiz, attempt)))
    replies.append(Reply(card=await build_card(session, quiz, settings, now), edit=True))
    return replies


async def answer_typed(
    session: AsyncSession, actor: Person, chat: ChatRef, settings: Settings, now: datetime, letters: str
) -> list[Reply]:
    """`/quiz B`, `/quiz ACD`, `/quiz 对` in a private chat: answer the question the person is at (where a
    platform shows no buttons, or by habit)."""
    if chat.is_group:
        return [Reply(text=T.QUIZ_ANSWER_PRIVATELY)]
    current = None
    for quiz in await quiz_queries.open_quizzes(session, now):
        attempt = await quiz_queries.attempt_of(session, quiz.id, actor.id)
        if attempt is not None and not is_finished(attempt):
            current = (quiz, attempt)
            break
    if current is None:
        return [Reply(text=T.QUIZ_NOTHING_TO_ANSWER)]
    quiz, attempt = current
    typed = T.QUIZ_JUDGE_WORDS.get(letters, letters)
    try:
        change = await quiz_ops.answer(
            session,
            actor,
            quiz_id=quiz.id,
            attempt_id=attempt.id,
            position=attempt.position,
            letter=None,
            typed=typed,
            at=now,
        )
    except Refused as exc:
        if exc.reason == Refusal.BAD_OPTION:
            return [Reply(text=T.QUIZ_BAD_TYPED.format(text=letters[:10]))]
        return [Reply(text=refusal_text(exc, quiz))]
    assert change.event is not None
    right = T.QUIZ_RIGHT if change.event.is_correct else T.QUIZ_WRONG
    return [Reply(text=right), *await answered_replies(session, change.subject, change.event, settings, now)]
