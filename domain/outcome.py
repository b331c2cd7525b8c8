"""What every domain operation returns or raises, the same shape for every subject.

An operation either raises `Refused` (nothing was changed; `reason` is the subject's own `Refusal` enum,
`subject` the row it refused, `detail` what an answer needs to say, e.g. who answered before) or
returns a `Change`: the row it changed, the event it wrote (None when nothing changed, e.g. a second
press of the same button) and who must be told, by why (each subject's own `Tell` enum). Handlers
render a `Change` into replies; schedules and the web desk read the same fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

SubjectT = TypeVar("SubjectT")


class Refused(Exception):
    """An operation the rules do not allow; nothing was changed."""

    def __init__(self, reason: StrEnum, subject: Any = None, **detail: Any) -> None:
        name = getattr(subject, "code", None) or getattr(subject, "id", None) or "-"
        super().__init__(f"{reason}: {name}")
        self.reason = reason
        self.subject = subject
        self.detail = detail


@dataclass
class Change(Generic[SubjectT]):
    """What an operation did: the subject row, the event it wrote (None: nothing changed), who to tell."""

    subject: SubjectT
    event: Any | None = None
    tell: dict[StrEnum, list[Any]] = field(default_factory=dict)  # why → people (storage.models.Person)
    added: int = 0  # photos or documents added, for operations that add files

    @property
    def changed(self) -> bool:
        """Tell whether the operation changed anything."""
        return self.event is not None

    def told(self) -> Iterator[tuple[StrEnum, Any]]:
        """Yield (why, person) for everyone to tell, each person once, in the order they were added."""
        seen: set[int] = set()
        for why, people in self.tell.items():
            for person in people:
                if person.id not in seen:
                    seen.add(person.id)
                    yield why, person
