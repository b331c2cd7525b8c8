"""Read a list of emergency supplies (应急物资) from CSV or Excel, for `safetybot supplies import` and for a
manager's `/supply import` with the workbook attached. The same shape as the enterprise list
(`bot/enterprise_csv.py`): a header row in English or Chinese, one item a row, the line named in an error.

Columns:
  name / 名称 / 物资名称     required: 灭火器, 铁锹, 安全帽 …
  quantity / 数量           required, a whole number (a unit may follow: 20具)
  unit / 单位               optional: 具, 把, 顶
  place / 存放地点 / 地点    optional: 园区仓库 (the default) or an enterprise's name or alias; words after it
                            (园区仓库一号库, 华油 二车间) say where exactly
  cycle / 检查周期 / 周期    每月, 每季度, 每半年, 每年 (or monthly … yearly)
  expiry / 有效期 / 有效期至  a date (2027-06-30): when it must be replaced
  last_checked / 上次检查    optional, a date: the next check counts from it
  responsible / 负责人       optional: a display name, @username or platform:id of someone the bot knows
An item needs a cycle or an expiry date (or both). CSV in UTF-8 (with or without BOM) or GBK; .xlsx: the
first sheet.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

COLUMNS = {
    "name": "name",
    "名称": "name",
    "物资名称": "name",
    "物资": "name",
    "quantity": "quantity",
    "数量": "quantity",
    "unit": "unit",
    "单位": "unit",
    "place": "place",
    "存放地点": "place",
    "地点": "place",
    "存放位置": "place",
    "cycle": "cycle",
    "检查周期": "cycle",
    "周期": "cycle",
    "expiry": "expiry",
    "有效期": "expiry",
    "有效期至": "expiry",
    "到期日期": "expiry",
    "last_checked": "last_checked",
    "上次检查": "last_checked",
    "上次检查日期": "last_checked",
    "responsible": "responsible",
    "负责人": "responsible",
    "责任人": "responsible",
}
CYCLES = {
    "每月": "monthly",
    "月": "monthly",
    "monthly": "monthly",
    "每季度": "quarterly",
    "季度": "quarterly",
    "每季": "quarterly",
    "quarterly": "quarterly",
    "每半年": "half_yearly",
    "半年": "half_yearly",
    "half_yearly": "half_yearly",
    "每年": "yearly",
    "年": "yearly",
    "每年一次": "yearly",
    "yearly": "yearly",
}


class CsvError(ValueError):
    """The supplies file cannot be imported; the message names the line and what is wrong (English, for the
    CLI); `line` and `column` say the same for a chat answer (`column` "file": the file itself)."""

    def __init__(self, message: str, line: int = 1, column: str = "file", value: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.value = value


QUANTITY_RE = re.compile(r"(\d+)\s*([^\d\s]{0,4})")
DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _date(value: Any, what: str, where: str, line: int) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = DATE_RE.fullmatch(str(value).strip())
    try:
        if m is None:
            raise ValueError(value)
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CsvError(f"{where}: {what} must be a date like 2027-06-30, got {str(value)!r}", line, what, str(value)) from None


def _records(path: Path) -> tuple[list[str], list[list[Any]]]:
    """Return the header and the rows of a CSV or an .xlsx file."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # not a workbook: say so in one line
            raise CsvError(f"{path}: not an Excel workbook ({type(exc).__name__})") from None
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        rows = [r for r in rows if any(c not in (None, "") for c in r)]
        if not rows:
            raise CsvError(f"{path}: the first sheet is empty")
        return [str(h or "").strip() for h in rows[0]], rows[1:]
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CsvError(f"{path}: not UTF-8 or GBK text")
    reader = list(csv.reader(io.StringIO(text)))
    reader = [r for r in reader if any(c.strip() for c in r)]
    if not reader:
        raise CsvError(f"{path}: the file is empty")
    return [h.strip() for h in reader[0]], reader[1:]


def read_supplies(path: Path) -> list[dict[str, Any]]:
    """Parse the file into rows of name, quantity, unit, place, cycle, expiry, last_checked, responsible and
    their line; raise `CsvError` naming the first line that is wrong."""
    header, records = _records(path)
    columns = [COLUMNS.get(h.lower()) for h in header]
    for needed, said in (("name", "名称"), ("quantity", "数量")):
        if needed not in columns:
            raise CsvError(f"{path}: line 1 needs a '{needed}' ({said}) column; found {header}", 1, "header", said)
    rows: list[dict[str, Any]] = []
    for line_no, record in enumerate(records, start=2):
        where = f"{path.name}: line {line_no}"
        cells = {c: record[i] for i, c in enumerate(columns) if c and i < len(record)}
        text = {k: str(v).strip() if v is not None else "" for k, v in cells.items()}
        name = text.get("name", "")
        if not name:
            raise CsvError(f"{where}: name is empty", line_no, "name")
        if len(name) > 50:
            raise CsvError(f"{where}: name longer than 50 characters", line_no, "name", name[:20])
        qm = QUANTITY_RE.fullmatch(text.get("quantity", "").removesuffix(".0"))
        if qm is None or not 0 < int(qm[1]) <= 1_000_000:
            said = text.get("quantity", "")
            raise CsvError(f"{where}: quantity must be a whole number from 1, got {said!r}", line_no, "quantity", said)
        cycle_word = text.get("cycle", "").lower()
        if cycle_word and cycle_word not in CYCLES:
            raise CsvError(
                f"{where}: cycle must be 每月, 每季度, 每半年 or 每年, got {cycle_word!r}", line_no, "cycle", cycle_word
            )
        expiry = _date(cells.get("expiry"), "expiry", where, line_no)
        if not cycle_word and expiry is None:
            raise CsvError(f"{where}: {name} needs a check cycle (检查周期) or an expiry date (有效期)", line_no, "due", name)
        rows.append(
            {
                "name": name,
                "quantity": int(qm[1]),
                "unit": (text.get("unit") or qm[2] or None),
                "place": text.get("place", ""),
                "cycle": CYCLES.get(cycle_word),
                "expiry": expiry,
                "last_checked": _date(cells.get("last_checked"), "last_checked", where, line_no),
                "responsible": text.get("responsible", ""),
                "line": line_no,
            }
        )
    return rows
