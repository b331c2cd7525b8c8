"""No formula from user text in any export: descriptions, fix notes, enterprise and campaign names that
look like formulas (also behind tabs and invisible direction marks) are written as text, shown as typed."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.xlsx import INVISIBLE, looks_like_formula
from tests.harness import ADMIN, LI, ZHANG, Harness, jpeg

pytestmark = pytest.mark.storage

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+1 配电箱",
    "-2+3 消防栓",
    "@SUM(1,2) 叉车",
    "\u200f=1+1 反向标记",
    "\u202e=2+2 嵌入标记",
]


def formulas(path: Path) -> list[str]:
    """Return every formula element in every sheet of a workbook's XML."""
    with zipfile.ZipFile(path) as z:
        return [
            name
            for name in z.namelist()
            if name.startswith("xl/worksheets/") and "<f>" in z.read(name).decode("utf-8")
        ]


@pytest.mark.parametrize(
    ("text", "hostile"),
    [
        ("=1+1", True),
        ("\t=1+1", True),
        ("\r=1", True),
        ("\u200b\u200f+A1", True),
        (" @x", True),
        ("-", True),
        ("配电箱=未接地", False),
        ("华油", False),
        ("", False),
    ],
)
def test_what_looks_like_a_formula(text: str, hostile: bool) -> None:
    assert looks_like_formula(text) is hostile


async def test_no_formula_from_user_text_in_any_export(seeded: Harness) -> None:
    h = seeded
    h.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    await h.say(ADMIN, '/enterprise_add =HYPERLINK("http://evil","点我")')
    for n, text in enumerate(HOSTILE, start=1):
        await h.say(ZHANG, f"/hazard {text}", files=(h.add_file(jpeg(n)),))
    await h.say(ZHANG, '/fix YH-2026-0001 =HYPERLINK("http://evil","已整改")', files=(h.add_file(jpeg(20)),))
    await h.say(LI, "/campaign =1+1消防专项 2026-12-31 排查消防设施")

    out = await h.say(LI, "/export 2026", Harness.private(LI))
    ledger = next(s for s in out if s.reply.documents).reply.documents[0]
    out = await h.say(LI, "/campaigns excel", Harness.private(LI))
    matrix = next(s for s in out if s.reply.documents).reply.documents[0]

    assert formulas(ledger) == [] and formulas(matrix) == []
    wb = load_workbook(ledger)
    descriptions = [r[5] for r in wb["隐患台账"].iter_rows(min_row=3, values_only=True) if r[1]]
    # the bot drops invisible marks from what people type; the rest is kept exactly
    assert [d.split(" ")[0] for d in descriptions] == [t.translate(INVISIBLE).split(" ")[0] for t in HOSTILE]
    assert any(
        str(r[11]).startswith("=HYPERLINK") for r in wb["隐患台账"].iter_rows(min_row=3, values_only=True)
    )
    tasks = [r[1] for r in wb["专项行动"].iter_rows(min_row=3, values_only=True)]
    assert '=HYPERLINK("http://evil","点我")' in tasks  # the new enterprise has its campaign task
    first = wb["隐患台账"]["F3"]
    assert first.data_type == "s" and first.quotePrefix  # shown as typed, and kept text when edited
    header = [c.value for c in load_workbook(matrix).active[1]]
    assert any(str(v).startswith("=1+1") or "=1+1" in str(v) for v in header), header


async def test_a_full_disk_is_said_truthfully_leaves_no_file_and_tells_admins_once_a_day(
    seeded: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook cannot be saved (disk full): the manager hears why, no partial file stays, the
    admins hear it once a park day, and the chat goes on at once."""
    import errno

    from handlers import texts as T

    h = seeded
    h.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))

    def full(self: object, filename: object) -> None:
        Path(str(filename)).write_bytes(b"PK\x03\x04 partial")  # what a full disk leaves behind
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", full)
    reports = h.app.settings.storage.reports_dir
    for _ in range(2):
        out = await h.say(LI, "/export 2026", Harness.private(LI))
        assert T.DISK_FULL in h.texts(out) and "数据库" not in h.texts(out)
        assert not any(s.reply.documents for s in out)
    assert not list(reports.glob("ledger-*.xlsx"))  # no partial workbook left
    told = [
        s for s in h.adapter.sent if "磁盘空间不足" in (s.reply.text or "") and s.chat.chat_id == "p-admin"
    ]
    assert len(told) == 1  # once a park day, not once per try
    out = await h.say(ZHANG, "/hazards")
    assert out  # the chat was never held
