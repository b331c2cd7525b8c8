"""The question bank file (知识答题题库): a manager or an admin sends a CSV or Excel file with the caption
`/quiz 题库`; its rows become questions, or every bad row is named with what is wrong (nothing is
imported then). The CSV is read as the enterprise import reads its file (`bot/enterprise_csv.py`: UTF-8 or
GBK); an Excel workbook's first sheet by openpyxl. The columns are `domain/quiz/bank.py`'s.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.enterprise_csv import read_rows
from bot.messages import Attachment, Reply
from domain.outcome import Refused
from domain.quiz import bank as quiz_bank
from domain.quiz import operations as quiz_ops
from domain.quiz import queries as quiz_queries
from domain.quiz.bank import BankError, Problem
from handlers import texts as T
from handlers.quiz.card import kind_name
from storage.enums import QuestionKind
from storage.models import Person

SHOWN_ERRORS = 10  # rows named in one answer; the rest are counted
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
CSV_TYPE = "text/csv"


def read_file(path: Path, mime_type: str) -> list[list[str]] | None:
    """Return the rows of a bank file (CSV or the first sheet of an .xlsx), or None if it is neither."""
    if mime_type == CSV_TYPE:
        return read_rows(path.read_bytes())
    if mime_type in XLSX_TYPES:
        from openpyxl import load_workbook  # only when a bank is imported: not on the per-update path

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # a ZIP that claims to be a workbook but is not one openpyxl can read
            return None
        try:
            sheet = book.worksheets[0]
            return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    return None


def problem_text(error: BankError) -> str:
    """Say what is wrong with one row (or the file) of a bank, naming the row."""
    said = T.QUIZ_BANK_PROBLEMS[error.problem]
    if error.problem == Problem.BAD_ANSWER:
        written, _, letters = error.detail.partition("|")
        said = said.format(answer=written, first=letters[:1], last=letters[-1:])
    else:
        said = said.format(detail=error.detail)
    if error.line <= 0:
        return said
    return T.QUIZ_BANK_ROW.format(line=error.line, problem=said)


async def import_bank(
    session: AsyncSession, actor: Person, attachments: list[Attachment], now: datetime
) -> Reply:
    """Import the questions of the CSV or Excel file sent with `/quiz 题库`, or say which rows are wrong."""
    files = [a for a in attachments if a.document is not None]
    if not files:
        names = [a.ref.file_name for a in attachments if a.ref.kind == "document" and a.ref.file_name]
        if names:  # a file the bot did not keep: not a table it can read (or too large)
            return Reply(text=T.QUIZ_BANK_NOT_TABLE.format(name=names[0]) + "\n" + T.QUIZ_BANK_COLUMNS)
        return Reply(text=T.QUIZ_BANK_NEED_FILE)
    stored = files[0].document
    assert stored is not None
    rows = read_file(stored.path, stored.mime_type)
    if rows is None:
        return Reply(text=T.QUIZ_BANK_NOT_TABLE.format(name=stored.file_name))
    drafts, errors = quiz_bank.read_rows(rows)
    if errors:
        lines = [T.QUIZ_BANK_REFUSED.format(name=stored.file_name, count=len(errors))]
        lines += [problem_text(e) for e in errors[:SHOWN_ERRORS]]
        if len(errors) > SHOWN_ERRORS:
            lines.append(T.QUIZ_BANK_MORE_ERRORS.format(count=len(errors) - SHOWN_ERRORS))
        lines.append(T.QUIZ_BANK_COLUMNS)
        return Reply(text="\n".join(lines))
    try:
        change = await quiz_ops.import_questions(session, actor, drafts, now)
    except Refused:
        return Reply(text=T.QUIZ_NOT_ALLOWED)
    skipped = len(drafts) - change.added
    said = T.QUIZ_BANK_IMPORTED.format(name=stored.file_name, added=change.added)
    if skipped:
        said += T.QUIZ_BANK_SKIPPED.format(count=skipped)
    return Reply(text=said + "\n" + await bank_summary(session))


async def bank_summary(session: AsyncSession) -> str:
    """Say how many questions of each kind the bank holds, and their numbers."""
    questions = await quiz_queries.bank(session)
    if not questions:
        return T.QUIZ_BANK_EMPTY
    counts = {k: sum(1 for q in questions if q.kind == k) for k in QuestionKind}
    parts = "，".join(f"{kind_name(k)} {n} 道" for k, n in counts.items() if n)
    return T.QUIZ_BANK_SUMMARY.format(
        total=len(questions), parts=parts, first=questions[0].id, last=questions[-1].id
    )
