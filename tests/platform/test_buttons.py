"""Typed button data: packed and length-checked in one place, parsed strictly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from bot.buttons import CallbackData
from handlers.hazards.card import CategoryButton, DueButton, LevelButton
from handlers.park.people import JoinDecideButton, JoinPickButton
from storage.enums import Level, Role


@dataclass(frozen=True)
class Sample(CallbackData, prefix="smp"):
    n: int
    word: str
    choice: Literal["yes", "no"]
    extra: str | None = None


def test_button_data_round_trips() -> None:
    for button in (
        DueButton(12, 7),
        LevelButton(3, Level.MAJOR),
        CategoryButton(5),
        CategoryButton(5, "fire"),
        JoinDecideButton(9, "approve"),
        JoinPickButton(Role.LEAD, 4),
        Sample(0, "x", "no", "tail"),
    ):
        assert type(button).unpack(button.pack()) == button
    assert LevelButton(3, Level.MAJOR).pack() == "hzlvl:3:major"  # the format cards already posted carry
    assert CategoryButton(5).pack() == "hzcat:5"


def test_button_over_64_bytes_is_refused_when_packed() -> None:
    assert len(Sample(1, "a" * 50, "yes").pack()) <= 64
    with pytest.raises(ValueError, match="64"):
        Sample(1, "配电箱" * 10, "yes").pack()  # 30 characters, 90 bytes
    with pytest.raises(ValueError):
        Sample(1, "a:b", "yes").pack()  # a separator inside a value would shift the fields


@pytest.mark.parametrize(
    "data",
    [
        "",
        "smp",
        "smp:1:x",  # a field missing
        "smp:1:x:maybe",  # not one of the literal values
        "smp:-1:x:yes",
        "smp:+1:x:yes",
        "smp:01:x:yes",  # a number written two ways is not the number
        "smp:１:x:yes",  # full-width digit
        "smp:1::yes",
        "smp:1:x:yes:tail:more",
        "smp:9999999999999:x:yes",
        "other:1:x:yes",
        "hzlvl:3:critical",
        "hzlvl:3:MAJOR",
    ],
)
def test_forged_button_data_parses_to_none(data: str) -> None:
    assert Sample.unpack(data) is None or data.startswith("hzlvl")
    assert LevelButton.unpack(data) is None
