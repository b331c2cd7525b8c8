"""Read the emergency command's roster from a CSV or Excel file (`safetybot roster import`, or an .xlsx
sent to the bot with `/roster import`), in the way `bot/enterprise_csv.py` reads the enterprise list.

Columns (a header row first, Chinese or English names; order free):
  姓名 / name           required
  职务 / 指挥部职务 / role  required, the role in the command (总指挥, 副总指挥, 成员…)
  单位 / unit           required
  电话 / 手机 / phones    required, one to three numbers separated by 、 , ; / or spaces
  代理人 / 副职 / deputy   optional, who stands in for them
  办公室 / office        optional, 是/否 (1/0, yes/no): sits in the office that coordinates (应急办)
  值班顺序 / 值班 / duty   optional, 1 is called first; empty: not on the on-duty chain
  账号 / account         optional, their chat account: @username, platform:id or display name
UTF-8 (with or without BOM) and GBK CSV are read; an .xlsx is read from its first sheet.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from domain.emergency.operations import MemberLine

COLUMNS = {
    "name": "name",
    "姓名": "name",
    "role": "role",
    "职务": "role",
    "指挥部职务": "role",
    "unit": "unit",
    "单位": "unit",
    "phones": "phones",
    "phone": "phones",
    "电话": "phones",
    "手机": "phones",
    "联系电话": "phones",
    "deputy": "deputy",
    "代理人": "deputy",
    "副职": "deputy",
    "ab角": "deputy",
    "office": "office",
    "办公室": "office",
    "duty": "duty",
    "值班": "duty",
    "值班顺序": "duty",
    "account": "account",
    "账号": "account",
    "聊天账号": "account",
}
REQUIRED = ("name", "role", "unit", "phones")
YES = {"1", "yes", "true", "y", "是", "√"}
NO = {"0", "no", "false", "n", "否", ""}
PHONE_SPLIT = re.compile(r"[、,，;；/\s]+")
MAX_ROWS = 500


@dataclass
class RosterFileError(ValueError):
    """The file cannot be imported: `problem` is one of `PROBLEMS`' keys, `line` the file's line (1 = header)."""

    problem: str
    line: int = 0
    value: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem} {self.value!r}"


PROBLEMS = ("not_text", "not_table", "no_column", "empty_field", "twice", "bad_office", "bad_duty", "too_many")


def _table(data: bytes, name: str) -> list[list[str]]:
    """Return the file's cells as text rows, the header first."""
    if name.lower().endswith(".xlsx") or data.startswith(b"PK"):
        from openpyxl import load_workbook  # only when a roster is imported

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # a ZIP that is not a workbook, a broken file
            raise RosterFileError("not_table") from exc
        sheet = book.worksheets[0]
        rows = [["" if v is None else _cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("not_text")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _cell(value: object) -> str:
    """Return a cell as text; a phone Excel stored as a number keeps no `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_roster(data: bytes, name: str = "") -> list[MemberLine]:
    """Parse a roster file into member lines (each with its line number); raise RosterFileError."""
    rows = [r for r in _table(data, name)]
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise RosterFileError("no_column", 1, "姓名")
    header = [COLUMNS.get(h.strip().lower()) for h in rows[0]]
    for needed in REQUIRED:
        if needed not in header:
            said = {"name": "姓名", "role": "职务", "unit": "单位", "phones": "电话"}[needed]
            raise RosterFileError("no_column", 1, said)
    lines: list[MemberLine] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows[1:], start=2):
        cells = {key: (raw[i].strip() if i < len(raw) else "") for i, key in enumerate(header) if key}
        if not any(cells.values()):
            continue
        if len(lines) >= MAX_ROWS:
            raise RosterFileError("too_many", number, str(MAX_ROWS))
        for needed in REQUIRED:
            if not cells.get(needed):
                raise RosterFileError("empty_field", number, needed)
        if cells["name"] in seen:
            raise RosterFileError("twice", number, cells["name"])
        seen.add(cells["name"])
        office = cells.get("office", "").lower()
        if office not in YES | NO:
            raise RosterFileError("bad_office", number, office)
        duty = cells.get("duty", "")
        if duty and not (duty.isascii() and duty.isdigit()):
            raise RosterFileError("bad_duty", number, duty)
        lines.append(
            MemberLine(
                name=cells["name"],
                command_role=cells["role"],
                unit=cells["unit"],
                phones=[p for p in PHONE_SPLIT.split(cells["phones"]) if p],
                deputy=cells.get("deputy") or None,
                office=office in YES,
                duty_order=int(duty) if duty else None,
                account=cells.get("account") or None,
                line=number,
            )
        )
    return lines
