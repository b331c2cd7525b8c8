"""The knowledge quiz rules as tables: who imports, runs and takes a quiz; open and closed; marking
(multiple choice by exact match) and scoring; once per person and which presses are refused; the bank
file's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.park.rules import Perm, role_allows
from domain.quiz import bank, rules
from domain.quiz.bank import Problem
from domain.quiz.rules import Refusal
from storage.enums import QuestionKind, Role
from storage.models import Person, Quiz, QuizAttempt

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def quiz(enterprise_ids: list[int] | None = None, *, closes: timedelta = timedelta(days=1), closed: bool = False) -> Quiz:
    return Quiz(
        id=3,
        question_ids=[5, 6, 7],
        enterprise_ids=enterprise_ids,
        closes_at=NOW + closes,
        closed_at=NOW if closed else None,
    )


def attempt(*, person_id: int = 1, quiz_id: int = 3, position: int = 1, finished: bool = False) -> QuizAttempt:
    return QuizAttempt(
        id=9, quiz_id=quiz_id, person_id=person_id, enterprise_id=7, position=position, ticked="", correct=0,
        finished_at=NOW if finished else None,
    )


def test_the_permission_rows() -> None:
    assert [r for r in Role if role_allows(r, Perm.QUIZ_BANK)] == [Role.ADMIN, Role.MANAGER]
    assert [r for r in Role if role_allows(r, Perm.QUIZ_RUN)] == [Role.ADMIN, Role.MANAGER]
    assert [r for r in Role if role_allows(r, Perm.QUIZ_TAKE)] == [Role.LEAD, Role.MEMBER]


@pytest.mark.parametrize(
    ("role", "enterprise_id", "invited", "runs", "takes"),
    [
        (Role.ADMIN, None, None, True, False),
        (Role.MANAGER, None, None, True, False),
        (Role.INSPECTOR, None, None, False, False),
        (Role.LEAD, 7, None, False, True),  # a quiz naming no enterprise invites every one
        (Role.MEMBER, 7, None, False, True),
        (Role.LEAD, 7, [7, 8], False, True),
        (Role.MEMBER, 7, [8], False, False),  # not among the enterprises named
        (None, None, None, False, False),
    ],
)
def test_who_runs_and_who_takes(
    role: Role | None, enterprise_id: int | None, invited: list[int] | None, runs: bool, takes: bool
) -> None:
    p = Person(id=1, role=role, enterprise_id=enterprise_id)
    assert rules.may_import(p) is runs and rules.may_run(p) is runs
    assert rules.may_take(p, quiz(invited)) is takes


@pytest.mark.parametrize(
    ("closes", "closed", "is_open", "due"),
    [
        (timedelta(hours=1), False, True, False),
        (timedelta(0), False, False, True),  # its end time is the first moment it is closed
        (-timedelta(hours=1), False, False, True),
        (timedelta(hours=1), True, False, False),  # ended by a manager: nothing left for the scheduler
        (-timedelta(hours=1), True, False, False),
    ],
)
def test_open_and_closed(closes: timedelta, closed: bool, is_open: bool, due: bool) -> None:
    q = quiz(closes=closes, closed=closed)
    assert rules.is_open(q, NOW) is is_open
    assert rules.due_to_close(q, NOW) is due


@pytest.mark.parametrize(
    ("answer", "chosen", "right"),
    [
        ("B", "B", True),
        ("B", "C", False),
        ("ACD", "ACD", True),
        ("ACD", "DCA", True),  # order does not matter
        ("ACD", "AC", False),  # multiple choice: no part marks
        ("ACD", "ABCD", False),  # nor for one too many
        ("A", "", False),
    ],
)
def test_an_answer_is_right_only_when_exactly_the_correct_letters(answer: str, chosen: str, right: bool) -> None:
    assert rules.is_correct(answer, chosen) is right


@pytest.mark.parametrize(
    ("correct", "total", "expected"),
    [(0, 5, 0), (3, 5, 60), (5, 5, 100), (7, 9, 78), (1, 3, 33), (2, 3, 67), (1, 8, 13), (0, 0, 0)],
)
def test_scores_out_of_100_rounded_half_up(correct: int, total: int, expected: int) -> None:
    assert rules.score(correct, total) == expected


def test_ticks_are_set_not_toggled_and_averages() -> None:
    assert rules.with_tick("", "C", True) == "C"
    assert rules.with_tick("C", "A", True) == "AC"
    assert rules.with_tick("AC", "A", True) == "AC"  # a second press changes nothing
    assert rules.with_tick("AC", "A", False) == "C"
    assert rules.with_tick("C", "B", False) == "C"
    assert rules.average([60, 100]) == 80 and rules.average([60, 80, 80]) == 73.3 and rules.average([]) is None


@pytest.mark.parametrize(
    ("row", "press", "expected"),
    [
        (attempt(), {}, None),
        (attempt(person_id=2), {}, Refusal.NOT_YOURS),  # someone else's attempt
        (attempt(), {"quiz_id": 4}, Refusal.NOT_YOURS),  # another quiz's button
        (attempt(), {"position": 2}, Refusal.NOT_YOURS),  # a question not reached yet
        (attempt(), {"position": 0}, Refusal.ANSWERED),  # answered already
        (attempt(finished=True), {}, Refusal.ANSWERED),  # once per person
        (attempt(), {"closed": True}, Refusal.CLOSED),
    ],
)
def test_which_answer_presses_are_refused(row: QuizAttempt, press: dict[str, object], expected: Refusal | None) -> None:
    q = quiz(closed=bool(press.get("closed")))
    actor = Person(id=1, role=Role.LEAD, enterprise_id=7)
    quiz_id = int(press.get("quiz_id", 3))  # type: ignore[call-overload]
    position = int(press.get("position", 1))  # type: ignore[call-overload]
    assert rules.answer_refusal(q, row, actor, quiz_id, position, NOW) is expected


HEAD = ["题型", "题目", "A", "B", "C", "D", "答案", "解析"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["填空", "问", "a", "b", "", "", "A", ""], Problem.BAD_KIND),
        (["单选", "", "a", "b", "", "", "A", ""], Problem.NO_QUESTION),
        (["单选", "问", "a", "", "", "", "A", ""], Problem.TOO_FEW_OPTIONS),
        (["单选", "问", "a", "", "c", "", "A", ""], Problem.GAP_IN_OPTIONS),
        (["单选", "问", "a", "b", "", "", "", ""], Problem.NO_ANSWER),
        (["单选", "问", "a", "b", "", "", "C", ""], Problem.BAD_ANSWER),
        (["多选", "问", "a", "b", "c", "", "AA", ""], Problem.BAD_ANSWER),
        (["单选", "问", "a", "b", "", "", "AB", ""], Problem.ONE_ANSWER),
        (["判断", "问", "", "", "", "", "也许", ""], Problem.BAD_ANSWER),
        (["单选", "问" * 501, "a", "b", "", "", "A", ""], Problem.TOO_LONG),
    ],
)
def test_a_bad_row_is_named_with_its_problem(row: list[str], problem: Problem) -> None:
    drafts, errors = bank.read_rows([HEAD, ["单选", "好题", "a", "b", "", "", "a", ""], row])
    assert [d.line for d in drafts] == [2]
    assert [(e.line, e.problem) for e in errors] == [(3, problem)]


def test_rows_read_into_questions() -> None:
    rows = [
        ["kind", "question", "option A", "option B", "option C", "answer", "explanation"],
        ["多选", " 哪些 ", "a", "b", "c", "c, a", "因为"],
        [],
        ["判断", "对吗", "", "", "", "×", ""],
        ["judge", "是吗", "", "", "", "A", ""],
    ]
    drafts, errors = bank.read_rows(rows)
    assert errors == []
    assert [(d.line, d.kind, d.text, d.answer) for d in drafts] == [
        (2, QuestionKind.MULTIPLE, "哪些", "AC"),
        (4, QuestionKind.JUDGE, "对吗", "B"),
        (5, QuestionKind.JUDGE, "是吗", "A"),
    ]
    assert drafts[0].options == ["a", "b", "c"] and drafts[0].explanation == "因为"
    assert drafts[1].options == ["对", "错"] and drafts[1].explanation is None
    assert bank.read_rows([HEAD])[1][0].problem == Problem.NO_ROWS
    assert bank.read_rows([["题目", "A", "B"]])[1][0] == bank.BankError(1, Problem.NO_HEADER, "题型、答案")
