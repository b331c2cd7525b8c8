"""Typed button data: one small definition per button, shared by the card that draws it and the
handler that reads it (like aiogram's `CallbackData`).

A definition is a frozen dataclass deriving from `CallbackData` with a `prefix`; its fields are
`int`, `str`, a `StrEnum`, a `Literal[...]` of strings, or one of those `| None = None` at the end.
`pack` writes `prefix:field:field` and refuses data over Telegram's 64-byte limit at the moment a
card is built, not when a platform rejects the message. `unpack` is strict: anything that is not
exactly a value of the definition (a forged or stale press) gives None, never an exception.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

LIMIT = 64  # bytes of callback data Telegram accepts
INT_DIGITS = 12


class CallbackData:
    """Base of every button definition; subclasses are frozen dataclasses named by a prefix."""

    prefix: ClassVar[str]
    _types: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix.isalnum() or not prefix.isascii():
            raise ValueError(f"button prefix {prefix!r} must be ASCII letters and digits")
        cls.prefix = prefix

    @classmethod
    def _fields(cls) -> list[tuple[str, Any]]:
        if "_types" not in cls.__dict__:  # resolved once, after the dataclass decorator ran
            hints = get_type_hints(cls)
            cls._types = {f.name: hints[f.name] for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return list(cls._types.items())

    def pack(self) -> str:
        """Return the button data; ValueError when a value holds `:` or the data exceeds 64 bytes."""
        parts = [self.prefix]
        omitted = None
        for name, _ in self._fields():
            value = getattr(self, name)
            if value is None:
                omitted = name  # only trailing optional fields may be left out
                continue
            if omitted is not None:
                raise ValueError(f"{self.prefix}.{omitted} is None but {name} follows it")
            text = value.value if isinstance(value, StrEnum) else str(value)
            if ":" in text or not text:
                raise ValueError(f"{self.prefix}.{name}: {text!r} cannot be packed")
            parts.append(text)
        data = ":".join(parts)
        if len(data.encode()) > LIMIT:
            raise ValueError(f"button data {data!r} is {len(data.encode())} bytes; the limit is {LIMIT}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        """Parse button data strictly; None for anything this definition would not have packed."""
        parts = data.split(":")
        if parts[0] != cls.prefix:
            return None
        raw = parts[1:]
        fields = cls._fields()
        if len(raw) > len(fields):
            return None
        values: dict[str, Any] = {}
        for i, (name, hint) in enumerate(fields):
            inner, optional = _unwrap_optional(hint)
            if i >= len(raw):
                if not optional:
                    return None
                values[name] = None
                continue
            value = _parse(raw[i], inner)
            if value is None:
                return None
            values[name] = value
        return cls(**values)


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """Return (the type inside `X | None`, True), or (hint, False)."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(get_args(hint)) == 2:
            return args[0], True
    return hint, False


def _parse(raw: str, hint: Any) -> Any:
    """Return the value of one field, or None when the text is not a value of that type."""
    if not raw:
        return None
    if hint is int:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > INT_DIGITS or (raw != "0" and raw[0] == "0"):
            return None
        return int(raw)
    if hint is str:
        return raw
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return hint(raw) if raw in hint._value2member_map_ else None
    if get_origin(hint) is Literal:
        return raw if raw in get_args(hint) else None
    raise TypeError(f"unsupported button field type {hint!r}")
