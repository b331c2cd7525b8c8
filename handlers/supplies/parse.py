"""Read `/supply add …` and `/check …` as people write them: the words in any order, dates as 2027-06-30 or
2027年6月30日, a cycle as 每月 / 每季度 / 每半年 / 每年. Pure; the place and the person are resolved by
`domain/supplies/queries.py`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.supply_table import CYCLES
from storage.enums import SupplyCycle

QUANTITY_RE = re.compile(r"(?:数量[:：]?)?(\d{1,7})\s*([具把顶个只件台部根套双块条箱桶卷副张支]?)")
DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
EXPIRY_RE = re.compile(rf"(?:有效期至?|到期日?|过期|更换日期)[:：]?\s*{DATE}")
LAST_RE = re.compile(rf"(?:上次检查|最近检查)[:：]?\s*{DATE}")
RESPONSIBLE_RE = re.compile(r"(?:(?:负责人|责任人)[:：]?\s*(\S+)|@(\S+))")
CHECK_EXPIRY_RE = EXPIRY_RE


class Unreadable(ValueError):
    """What was written is not an item; `reason` names what is missing or wrong, `text` the part."""

    def __init__(self, reason: str, text: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


@dataclass(frozen=True)
class AddArgs:
    """`/supply add` read: name, quantity (and unit), the place's words, cycle or expiry, last check, who."""

    name: str
    quantity: int
    unit: str | None
    place: str
    cycle: SupplyCycle | None
    expires_on: date | None
    last_checked: date | None
    responsible: str | None


def _date(m: re.Match[str]) -> date:
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise Unreadable("bad_date", m[0]) from None


def expiry_in(text: str) -> tuple[date | None, str]:
    """Return the expiry date written (有效期至 2028-06-30) and the text without it."""
    m = EXPIRY_RE.search(text)
    if m is None:
        return None, text
    return _date(m), (text[: m.start()] + " " + text[m.end() :]).strip()


def parse_add(text: str) -> AddArgs:
    """Read `灭火器 20具 园区仓库 每月 负责人 李干部`, `安全帽 50顶 华油 二车间 有效期至 2028-06-30`."""
    text = " ".join(text.split())
    expires_on, text = expiry_in(text)
    last = None
    if m := LAST_RE.search(text):
        last, text = _date(m), (text[: m.start()] + " " + text[m.end() :])
    responsible = None
    if m := RESPONSIBLE_RE.search(text):
        responsible, text = (m[1] or m[2]), (text[: m.start()] + " " + text[m.end() :])
    words = text.split()
    if not words:
        raise Unreadable("no_name")
    cycle = None
    rest: list[str] = []
    for word in words:
        if word.lower() in CYCLES and cycle is None:
            cycle = SupplyCycle(CYCLES[word.lower()])
        elif word.startswith("检查周期") and word.removeprefix("检查周期").strip("：:") in CYCLES:
            cycle = SupplyCycle(CYCLES[word.removeprefix("检查周期").strip("：:")])
        else:
            rest.append(word)
    name, quantity, unit = rest[0], None, None
    m = re.fullmatch(r"(\D+?)\s*(\d{1,7})\s*(\S?)", name)
    if m is not None and QUANTITY_RE.fullmatch(f"{m[2]}{m[3]}"):  # 灭火器20具 written together
        name, quantity, unit = m[1], int(m[2]), m[3] or None
        places = rest[1:]
    else:
        places = []
        for word in rest[1:]:
            q = QUANTITY_RE.fullmatch(word)
            if q is not None and quantity is None:
                quantity, unit = int(q[1]), q[2] or None
            else:
                places.append(word)
    if quantity is None:
        raise Unreadable("no_quantity", name)
    if quantity <= 0:
        raise Unreadable("bad_quantity", str(quantity))
    if cycle is None and expires_on is None:
        raise Unreadable("no_due", name)
    return AddArgs(name[:50], quantity, unit, " ".join(places), cycle, expires_on, last, responsible)
