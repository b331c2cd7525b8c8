"""Read a park's enterprise list from CSV for `safetybot enterprises import`.

Columns (header row required, English or Chinese names):
  name / 名称        required, the enterprise's full name
  aliases / 别名     optional, short names separated by 、 ; | or ，
  industry / 行业    optional
  active / 在册      optional, 1/0, yes/no, 是/否 (default: active)
  officer / 包片干部  optional, the committee officer who looks after it (包片包户): a manager's name,
                     @username or `platform:id`; an empty cell removes the enterprise's officer, and
                     without the column officers are left as they are
UTF-8 with or without BOM (Excel's "CSV UTF-8") and GBK are both read.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

COLUMNS = {
    "name": "name",
    "名称": "name",
    "企业名称": "name",
    "aliases": "aliases",
    "别名": "aliases",
    "简称": "aliases",
    "industry": "industry",
    "行业": "industry",
    "active": "active",
    "在册": "active",
    "officer": "officer",
    "包片干部": "officer",
    "包联干部": "officer",
    "包片": "officer",
}
TRUE = {"1", "yes", "true", "y", "是", "在册", ""}
FALSE = {"0", "no", "false", "n", "否", "停用"}


class CsvError(ValueError):
    """The file cannot be imported; the message names the line and what is wrong."""


def decode_text(raw: bytes) -> str | None:
    """Return a CSV file's text: UTF-8 with or without BOM (Excel's "CSV UTF-8"), else GBK; None if neither
    (the quiz's question bank is read the same way, `handlers/quiz/bank.py`)."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_rows(raw: bytes) -> list[list[str]] | None:
    """Return a CSV file's rows as lists of cell texts (None: not UTF-8 or GBK text)."""
    text = decode_text(raw)
    if text is None:
        return None
    return [list(row) for row in csv.reader(io.StringIO(text))]


def read_enterprises(path: Path) -> list[dict[str, Any]]:
    """Parse the CSV file into rows of name, aliases, industry, active, their line, and the officer when
    the file has that column."""
    text = decode_text(path.read_bytes())
    if text is None:
        raise CsvError(f"{path}: not UTF-8 or GBK text")
    reader = csv.DictReader(io.StringIO(text))
    header = {h: COLUMNS.get((h or "").strip().lower()) for h in reader.fieldnames or []}
    if "name" not in header.values():
        raise CsvError(f"{path}: line 1 needs a 'name' (名称) column; found {list(header)}")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line_no, record in enumerate(reader, start=2):
        row = {header[k]: (v or "").strip() for k, v in record.items() if header.get(k)}
        name = row.get("name", "")
        if not name:
            raise CsvError(f"{path}: line {line_no}: name is empty")
        if len(name) > 100:
            raise CsvError(f"{path}: line {line_no}: name longer than 100 characters")
        if name in seen:
            raise CsvError(f"{path}: line {line_no}: {name} appears twice")
        seen.add(name)
        active_word = row.get("active", "").lower()
        if active_word not in TRUE | FALSE:
            raise CsvError(
                f"{path}: line {line_no}: active must be 1/0, yes/no or 是/否, got {active_word!r}"
            )
        aliases = [a.strip() for a in re.split(r"[、;|，]", row.get("aliases", "")) if a.strip()]
        parsed: dict[str, Any] = {
            "name": name,
            "aliases": aliases,
            "industry": row.get("industry") or None,
            "active": active_word in TRUE,
            "line": line_no,
        }
        if "officer" in header.values():
            parsed["officer"] = row.get("officer", "")
        rows.append(parsed)
    return rows


OFFICER_PROBLEMS = {
    "officer_unknown": "nobody the bot knows is called {officer!r} (they must have written to the bot once)",
    "officer_ambiguous": "several people are called {officer!r}: write their @username or platform:id",
    "not_manager": "{officer!r} is not a manager (give them the role first: /role <name> manager)",
}


def officer_problem(path: Path, refused: Exception) -> str:
    """Say which line names an officer the import cannot use, and why (nothing was imported)."""
    reason = str(getattr(refused, "reason", ""))
    detail = getattr(refused, "detail", {})
    said = OFFICER_PROBLEMS.get(reason, reason).format(officer=detail.get("officer", ""))
    return f"{path}: line {detail.get('line')}: officer: {said}; nothing was imported"
