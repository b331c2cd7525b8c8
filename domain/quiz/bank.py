"""Read the rows of a question-bank file (知识答题题库) into questions, or say which row is wrong and why.

Pure: the rows come in as lists of cell texts (`handlers/quiz/bank.py` reads them from the CSV or Excel
file a manager sent); nothing is written here. Columns (a header row, Chinese or English names):
  题型 / kind        单选, 多选 or 判断 (single, multiple, judge)
  题目 / question    the question
  A … F / 选项A …    the options (a true/false question needs none: A 对, B 错)
  答案 / answer      the correct letters (A, ACD, A,C); for 判断 also 对/错, 正确/错误, √/×
  解析 / explanation optional, shown once the question is answered
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain.quiz.rules import JUDGE_OPTIONS, LETTERS, MIN_OPTIONS, normal_letters
from storage.enums import QuestionKind

TEXT_LIMIT = 500
OPTION_LIMIT = 200
EXPLANATION_LIMIT = 500
MAX_ROWS = 2000

HEADERS = {
    "题型": "kind",
    "类型": "kind",
    "kind": "kind",
    "type": "kind",
    "题目": "question",
    "题干": "question",
    "问题": "question",
    "question": "question",
    "答案": "answer",
    "正确答案": "answer",
    "answer": "answer",
    "解析": "explanation",
    "答案解析": "explanation",
    "说明": "explanation",
    "explanation": "explanation",
}
for _letter in LETTERS:
    for _name in (_letter, f"选项{_letter}", f"option {_letter}", f"option{_letter}"):
        HEADERS[_name.lower()] = _letter
KINDS = {
    "单选": QuestionKind.SINGLE,
    "单选题": QuestionKind.SINGLE,
    "single": QuestionKind.SINGLE,
    "多选": QuestionKind.MULTIPLE,
    "多选题": QuestionKind.MULTIPLE,
    "multiple": QuestionKind.MULTIPLE,
    "判断": QuestionKind.JUDGE,
    "判断题": QuestionKind.JUDGE,
    "judge": QuestionKind.JUDGE,
    "true/false": QuestionKind.JUDGE,
}
JUDGE_WORDS = {"对": "A", "正确": "A", "√": "A", "是": "A", "T": "A", "错": "B", "错误": "B", "×": "B", "否": "B", "F": "B"}


class Problem(StrEnum):
    """What is wrong with a bank file or one of its rows."""

    NO_HEADER = "no_header"  # the first row lacks 题型, 题目 or 答案
    NO_ROWS = "no_rows"  # a header and nothing under it
    TOO_MANY_ROWS = "too_many_rows"
    BAD_KIND = "bad_kind"
    NO_QUESTION = "no_question"
    TOO_LONG = "too_long"
    TOO_FEW_OPTIONS = "too_few_options"  # a choice question with fewer than two options
    GAP_IN_OPTIONS = "gap_in_options"  # options A and C but no B
    NO_ANSWER = "no_answer"
    BAD_ANSWER = "bad_answer"  # letters the question has no option for, or not letters at all
    ONE_ANSWER = "one_answer"  # a single-choice or true/false question with several letters
    TWICE = "twice"  # the same question twice in the file


@dataclass(frozen=True)
class BankError:
    """A problem of the file (`line` 1: the header, 0: the whole file) and what it concerns."""

    line: int
    problem: Problem
    detail: str = ""


@dataclass(frozen=True)
class Draft:
    """One question read from the file, ready to store."""

    line: int
    kind: QuestionKind
    text: str
    options: list[str]
    answer: str
    explanation: str | None


def read_rows(rows: list[list[str]]) -> tuple[list[Draft], list[BankError]]:
    """Read the rows (the first one the header; line numbers count from 1 as a spreadsheet shows them)
    into drafts; the errors name each bad row. Blank rows are skipped."""
    if not rows:
        return [], [BankError(0, Problem.NO_ROWS)]
    columns = [HEADERS.get(_cell(h).lower()) for h in rows[0]]
    missing = [name for name, key in (("题型", "kind"), ("题目", "question"), ("答案", "answer")) if key not in columns]
    if missing:
        return [], [BankError(1, Problem.NO_HEADER, "、".join(missing))]
    body = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(_cell(c) for c in r)]
    if not body:
        return [], [BankError(0, Problem.NO_ROWS)]
    if len(body) > MAX_ROWS:
        return [], [BankError(0, Problem.TOO_MANY_ROWS, str(MAX_ROWS))]
    drafts: list[Draft] = []
    errors: list[BankError] = []
    seen: dict[str, int] = {}
    for line, row in body:
        cells: dict[str, str] = {}
        for key, value in zip(columns, row, strict=False):
            if key is not None and key not in cells:
                cells[key] = _cell(value)
        read = _read(line, cells)
        if isinstance(read, BankError):
            errors.append(read)
            continue
        if read.text in seen:
            errors.append(BankError(line, Problem.TWICE, str(seen[read.text])))
            continue
        seen[read.text] = line
        drafts.append(read)
    return drafts, errors


def _read(line: int, cells: dict[str, str]) -> Draft | BankError:
    """Read one row, or say what is wrong with it."""
    kind = KINDS.get(cells.get("kind", "").lower())
    if kind is None:
        return BankError(line, Problem.BAD_KIND, cells.get("kind", ""))
    text = cells.get("question", "")
    if not text:
        return BankError(line, Problem.NO_QUESTION)
    if len(text) > TEXT_LIMIT:
        return BankError(line, Problem.TOO_LONG, "题目")
    options = _options(cells)
    if isinstance(options, BankError):
        return BankError(line, options.problem, options.detail)
    if kind == QuestionKind.JUDGE:
        options = list(JUDGE_OPTIONS)
    elif len(options) < MIN_OPTIONS:
        return BankError(line, Problem.TOO_FEW_OPTIONS)
    raw = cells.get("answer", "").replace(" ", "")
    if not raw:
        return BankError(line, Problem.NO_ANSWER)
    answer = _answer(kind, raw, len(options))
    if answer is None:
        return BankError(line, Problem.BAD_ANSWER, raw[:20] + "|" + LETTERS[: len(options)])
    if kind != QuestionKind.MULTIPLE and len(answer) != 1:
        return BankError(line, Problem.ONE_ANSWER, raw[:20])
    explanation = cells.get("explanation") or None
    if explanation is not None and len(explanation) > EXPLANATION_LIMIT:
        return BankError(line, Problem.TOO_LONG, "解析")
    return Draft(line, kind, text, options, answer, explanation)


def _options(cells: dict[str, str]) -> list[str] | BankError:
    """Return the options A, B, … in order; a gap (A and C without B) or a too long one is an error."""
    options: list[str] = []
    ended = False
    for letter in LETTERS:
        value = cells.get(letter, "")
        if not value:
            ended = True
            continue
        if ended:
            return BankError(0, Problem.GAP_IN_OPTIONS, letter)
        if len(value) > OPTION_LIMIT:
            return BankError(0, Problem.TOO_LONG, f"选项{letter}")
        options.append(value)
    return options


def _answer(kind: QuestionKind, raw: str, count: int) -> str | None:
    """Return the correct letters of an answer as written (A / ACD / A,C / 对), or None if unusable."""
    if kind == QuestionKind.JUDGE and raw in JUDGE_WORDS:
        return JUDGE_WORDS[raw]
    letters = re.sub(r"[,，、;；/]", "", raw).upper()
    if not letters or any(c not in LETTERS[:count] for c in letters):
        return None
    if len(set(letters)) != len(letters):
        return None
    return normal_letters(letters)


def _cell(value: object) -> str:
    """Return a cell as trimmed text (Excel numbers and empty cells too)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()
