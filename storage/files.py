"""Photo and document files against their rows: files no row points to (orphans) and rows whose file is gone.

Photos are written to disk before the update's transaction (nothing that arrives is lost), so a
refused or ignored message leaves a file with no row. `check_photo_files` finds both kinds of
disagreement; with `fix` it removes orphan files untouched for the grace period (an update in flight
has written its file but not yet committed its row; a repeat of known bytes touches the file). Rows
are never deleted: a row whose file is missing is evidence, and is only reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import Row, select

from storage.db import Database
from storage.models import Document, Hazard, HazardDocument, HazardPhoto, Photo
from storage.photos import COMPOSITE_DIR, DOCUMENT_DIR, DOCUMENT_EXTENSIONS, TEMP_PREFIX

# `<ab>/<sha256>.<ext>` (a photo) or `documents/<ab>/<sha256>.<pdf|docx|…>` as PhotoStore writes them.
_EXTENSIONS = "|".join(DOCUMENT_EXTENSIONS)
STORE_NAME = re.compile(
    rf"(?P<ab>[0-9a-f]{{2}})/(?P=ab)[0-9a-f]{{62}}\.[a-z]{{3,4}}|{DOCUMENT_DIR}/(?P<cd>[0-9a-f]{{2}})/(?P=cd)[0-9a-f]{{62}}\.(?:{_EXTENSIONS})"
)
REMOVING_PREFIX = ".removing-"


@dataclass(frozen=True)
class OrphanFile:
    """A file under the photo directory that no photo row points to."""

    path: str  # relative to the photo directory, with `/`
    size: int
    modified: datetime
    ours: bool  # named as the store names its files; only these are ever removed
    action: str = "found"  # found | removed | kept (young) | kept (not ours) | failed: <reason>


@dataclass(frozen=True)
class MissingFile:
    """A photo (or document) row whose file is not on disk."""

    photo_id: int  # the row's id in `photos`, or in `documents` when `kind` says so
    path: str
    created_at: datetime
    hazards: tuple[str, ...]
    kind: str = "photo"  # photo | document


@dataclass
class FileCheck:
    """What a check found: orphan files, rows without files, and how many of each kind it looked at."""

    files: int = 0
    rows: int = 0
    orphans: list[OrphanFile] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)

    @property
    def removed(self) -> int:
        """Return how many orphan files were removed."""
        return sum(o.action == "removed" for o in self.orphans)

    @property
    def clean(self) -> bool:
        """Tell whether nothing is left to look at: no rows without files, no orphan file left."""
        return not self.missing and self.removed == len(self.orphans)


async def _missing(
    db: Database,
    root: Path,
    files: dict[str, os.stat_result],
    kind: str,
    rows: Sequence[Row[int, str, datetime]],
) -> list[MissingFile]:
    """Return the rows (photos or documents) whose file is not on disk, with the hazards that use them."""
    gone = [r for r in rows if PurePosixPath(r.path).as_posix() not in files]
    gone = [r for r in gone if not (root / r.path).exists()]  # written after the listing: not missing
    if not gone:
        return []
    link, column = (
        (HazardPhoto, HazardPhoto.photo_id)
        if kind == "photo"
        else (HazardDocument, HazardDocument.document_id)
    )
    async with db.reading() as session:
        codes = (
            await session.execute(
                select(column, Hazard.code)
                .join(Hazard, Hazard.id == link.hazard_id)
                .where(column.in_([r.id for r in gone]))
                .order_by(Hazard.id)
            )
        ).all()
    by_row: dict[int, list[str]] = {}
    for row_id, code in codes:
        if code not in by_row.setdefault(row_id, []):
            by_row[row_id].append(code)
    return [MissingFile(r.id, r.path, r.created_at, tuple(by_row.get(r.id, [])), kind) for r in gone]


def _walk(root: Path) -> dict[str, os.stat_result]:
    """Return every regular file under the directory by its relative path (nothing when it is absent).

    The before | after pictures (`composites/`) are a cache derived from photos, not photos: left out.
    """
    found: dict[str, os.stat_result] = {}
    for folder, dirs, names in os.walk(root):
        if Path(folder) == root and COMPOSITE_DIR in dirs:
            dirs.remove(COMPOSITE_DIR)
        dirs.sort()
        for name in sorted(names):
            full = Path(folder) / name
            try:
                st = full.lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                found[full.relative_to(root).as_posix()] = st
    return found


def _is_ours(path: str) -> bool:
    """Tell whether the store names files like this (a photo, or a temporary file of its own)."""
    name = PurePosixPath(path).name
    return bool(STORE_NAME.fullmatch(path)) or name.startswith((TEMP_PREFIX, REMOVING_PREFIX))


def _remove(full: Path, cutoff: float) -> str:
    """Remove a file unless it was touched after the cutoff; return what happened.

    The file is first renamed aside, then its time is read again: a save that touched it just before is
    seen and the file put back, and a save just after finds no file and writes it anew.
    """
    aside = full.with_name(REMOVING_PREFIX + full.name.removeprefix(REMOVING_PREFIX))
    try:
        if aside != full:
            os.replace(full, aside)
        if aside.stat().st_mtime > cutoff:
            os.replace(aside, full)  # identical bytes if a save wrote it meanwhile: content-addressed
            return "kept (young)"
        aside.unlink()
    except FileNotFoundError:
        return "removed"
    except OSError as exc:
        return f"failed: {exc.strerror or exc}"
    return "removed"


async def check_photo_files(
    db: Database, root: Path, now: datetime, *, fix: bool = False, grace: timedelta = timedelta(hours=1)
) -> FileCheck:
    """Compare the photo directory with the photo and document rows; with `fix`, remove old orphan files."""
    files = await asyncio.to_thread(_walk, root)  # listed before the rows are read: a new pair is seen whole
    async with db.reading() as session:
        photos = (
            await session.execute(select(Photo.id, Photo.path, Photo.created_at).order_by(Photo.id))
        ).all()
        documents = (
            await session.execute(
                select(Document.id, Document.path, Document.created_at).order_by(Document.id)
            )
        ).all()
    known = {PurePosixPath(r.path).as_posix() for r in (*photos, *documents)}
    result = FileCheck(files=len(files), rows=len(photos) + len(documents))
    for kind, rows in (("photo", photos), ("document", documents)):
        result.missing += await _missing(db, root, files, kind, rows)

    cutoff = (now - grace).timestamp()
    for path, st in files.items():
        if path in known:
            continue
        ours = _is_ours(path)
        action = "found"
        if fix:
            if not ours:
                action = "kept (not ours)"
            elif st.st_mtime > cutoff:
                action = "kept (young)"
            else:
                action = await asyncio.to_thread(_remove, root / path, cutoff)
        modified = datetime.fromtimestamp(st.st_mtime, UTC)
        result.orphans.append(OrphanFile(path, st.st_size, modified, ours, action))
    return result


def prune_generated(folder: Path, keep: timedelta) -> int:
    """Delete generated files (digest charts, Excel workbooks) last written longer than `keep` ago.

    They are only read when their outbox row is sent, and sent rows are kept `keep` long: a file older
    than that is needed by nothing. File times are the file system's, so this reads the system clock.
    """
    if not folder.is_dir():
        return 0
    cutoff = datetime.now(UTC).timestamp() - keep.total_seconds()
    removed = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed
