"""How the words of /补录 are read: the kinds, days with a year context, a meeting's time, a hazard's story."""

from __future__ import annotations

from datetime import date, time

import pytest

from handlers.backfill.words import (
    HazardWords,
    Kind,
    read_day,
    read_hazard_words,
    read_kind,
    read_time,
    read_year,
    split_place,
)

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("word", "year", "after", "expected"),
    [
        ("2025-03-05", None, None, date(2025, 3, 5)),
        ("2025-3-5", None, None, date(2025, 3, 5)),
        ("2025/3/5", None, None, date(2025, 3, 5)),
        ("2025.03.05", None, None, date(2025, 3, 5)),
        ("2025年3月5日", None, None, date(2025, 3, 5)),
        ("２０２５年３月５日", None, None, date(2025, 3, 5)),  # full-width digits from a Chinese keyboard
        ("3月5日", None, None, date(2026, 3, 5)),  # no year: the latest such day not after today
        ("12月5日", None, None, date(2025, 12, 5)),
        ("3月5日", 2025, None, date(2025, 3, 5)),  # the year said before it
        ("3-5", 2024, None, date(2024, 3, 5)),
        ("4月5日", None, date(2025, 4, 2), date(2025, 4, 5)),  # after a hazard's day found
        ("1月3日", None, date(2025, 12, 30), date(2026, 1, 3)),  # the new year after it
        ("昨天", None, None, date(2026, 11, 29)),
        ("2025-02-30", None, None, None),
        ("下周", None, None, None),
        ("三月五日", None, None, None),
    ],
)
def test_days_are_read_as_a_clerk_writes_them(
    word: str, year: int | None, after: date | None, expected: date | None
) -> None:
    assert read_day(word, TODAY, year, after) == expected


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("会议", Kind("meeting")),
        ("例会", Kind("meeting", "regular")),
        ("动员会", Kind("meeting", "mobilisation")),
        ("通知", Kind("notice")),
        ("方案", Kind("notice", "plan")),
        ("预案", Kind("notice", "emergency_plan")),
        ("专项行动", Kind("campaign")),
        ("检查", Kind("inspection")),
        ("隐患", Kind("hazard")),
        ("培训", Kind("training")),
        ("演练", Kind("drill")),
        ("电梯", None),
    ],
)
def test_a_kind_word_names_what_is_back_filled(word: str, kind: Kind | None) -> None:
    assert read_kind(word) == kind


def test_years_times_and_places() -> None:
    assert read_year("2025年") == 2025 and read_year("2025") == 2025 and read_year("25") is None
    assert read_time("14:30") == time(14, 30) and read_time("9点") == time(9, 0) and read_time("25:00") is None
    assert read_time("三月份安全例会") is None
    assert split_place(["例会", "地点：管委会三楼"]) == (["例会"], "管委会三楼")
    assert split_place(["例会", "地点：", "三楼"]) == (["例会"], "三楼")
    assert split_place(["例会"]) == (["例会"], None)


def test_a_hazards_story_is_split_from_its_description() -> None:
    assert read_hazard_words(["二车间配电室", "电线裸露", "立即整改", "2025-04-03", "验收", "2025-04-05"]) == HazardWords(
        description=["二车间配电室", "电线裸露"], immediate=True, days={"fixed": "2025-04-03", "accepted": "2025-04-05"}
    )
    assert read_hazard_words(["仓库", "堆放杂物", "限期", "5月20日", "整改", "5月18日", "验收", "5月21日"]) == HazardWords(
        description=["仓库", "堆放杂物"],
        deadline=True,
        days={"due": "5月20日", "fixed": "5月18日", "accepted": "5月21日"},
    )
    assert read_hazard_words(["电线裸露", "立即整改", "验收", "4月5日"]) == HazardWords(
        description=["电线裸露"], immediate=True, days={"accepted": "4月5日"}
    )
    assert read_hazard_words(["电线裸露", "验收"]) == "验收"
    assert read_hazard_words(["电线裸露", "限期", "尽快"]) == "限期"


def test_a_hazard_names_the_inspection_it_was_found_on() -> None:
    assert read_hazard_words(["电线裸露", "检查：消防设施专项检查", "验收", "4月5日"]) == HazardWords(
        description=["电线裸露"], days={"accepted": "4月5日"}, inspection="消防设施专项检查"
    )
    assert read_hazard_words(["电线裸露", "检查:", "冬季检查", "验收", "4月5日"]) == HazardWords(
        description=["电线裸露"], days={"accepted": "4月5日"}, inspection="冬季检查"
    )
    assert read_hazard_words(["电线裸露", "验收", "4月5日", "检查："]) == "检查："
