"""Photo files: bad images refused with the reason, HEIC kept, unwritable storage told, files and rows agree."""

from __future__ import annotations

import asyncio
import errno
import io
import logging
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.clock import ManualClock
from bot.config import load_settings
from bot.messages import FileRef
from handlers import texts as T
from storage import files as files_module
from storage import photos as photos_module
from storage.files import check_photo_files
from storage.models import Hazard, Photo
from storage.photos import PhotoNotSaved, PhotoStore, TooManyPixels
from tests.harness import XIAO, ZHANG, Harness, card_of, jpeg, make_settings, seed

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server, or a real bot process

ROOT = Path(__file__).resolve().parents[2]


def png_header_only(width: int, height: int) -> bytes:
    """Make a PNG whose header says width × height RGBA but whose data holds one row: decoding it fails."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    one_row = zlib.compress(b"\x00" * (1 + 4 * width))[:-8]  # cut short: not even the first row is whole
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", one_row) + chunk(b"IEND", b"")


def heic(size: tuple[int, int] = (320, 240)) -> bytes:
    """Make a real HEIC file with pillow-heif, as an iPhone would send an original."""
    import pillow_heif
    from PIL import Image

    buf = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", size, (200, 80, 20))).save(buf, quality=80)
    return buf.getvalue()


def as_document(h: Harness, data: bytes, mime: str, name: str) -> FileRef:
    """Register bytes sent as a file (not compressed by the platform) and return the reference."""
    ref = h.add_file(data)
    return FileRef(ref.file_id, "document", len(data), mime, name)


async def photo_rows(h: Harness) -> list[Photo]:
    """Return every photo row."""
    async with h.app.db.unit_of_work() as s:
        return list((await s.scalars(select(Photo).order_by(Photo.id))).all())


async def hazard_count(h: Harness) -> int:
    """Return how many hazards are registered."""
    async with h.app.db.unit_of_work() as s:
        return int(await s.scalar(select(func.count()).select_from(Hazard)) or 0)


def files_under(root: Path) -> list[str]:
    """Return every file under the photo directory, relative, sorted."""
    return (
        sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        if root.is_dir()
        else []
    )


# 1. Pixel limit, read from the header before any decoding.


async def test_image_over_the_pixel_limit_is_refused_from_its_header(harness: Harness) -> None:
    h = harness
    await seed(h)
    bomb = png_header_only(13370, 13370)  # decoding would fail: the refusal proves nothing was decoded
    out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(as_document(h, bomb, "image/png", "a.png"),))
    assert h.texts(out) == T.PHOTO_TOO_MANY_PIXELS.format(
        width=13370, height=13370, megapixels=17876, limit=12000
    )
    assert "图片像素过多（13370×13370，约 17876 万像素，上限 12000 万像素）" in h.texts(out)
    assert await photo_rows(h) == [] and await hazard_count(h) == 0
    assert files_under(h.app.settings.storage.photo_dir) == []


def test_pixel_limit_is_checked_before_decoding_and_defaults_to_phone_photos() -> None:
    assert load_settings(None).storage.max_pixels == 120_000_000
    assert load_settings(ROOT / "config.example.toml").storage.max_pixels == 120_000_000
    with pytest.raises(TooManyPixels) as refused:
        photos_module.check_image(png_header_only(15000, 15000), 120_000_000)
    assert (refused.value.width, refused.value.height) == (15000, 15000)
    # 108 MP (12000 × 9000), the largest common phone camera, is within the default.
    with pytest.raises(photos_module.BrokenImage):  # past the pixel check: its data is what fails
        photos_module.check_image(png_header_only(12000, 9000), 120_000_000)


async def test_pixel_limit_comes_from_the_settings(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    settings = make_settings(sqlite_url, tmp_path)
    settings.storage.max_pixels = 20_000
    h = await Harness.create(settings, clock)
    try:
        await seed(h)
        out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(1, (200, 101))),))
        assert h.texts(out) == "图片像素过多（200×101，约 2 万像素，上限 2 万像素），请缩小后重新发送。"
        out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(2, (200, 100))),))
        assert card_of(out).card is not None  # exactly at the limit: accepted
    finally:
        await h.close()


async def test_images_are_checked_in_a_worker_thread(harness: Harness) -> None:
    h = harness
    await seed(h)
    threads: list[int] = []
    real = h.app.photos.save

    def recording(data: bytes, max_pixels: int):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real(data, max_pixels)

    h.app.photos.save = recording  # type: ignore[method-assign]
    await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(1)),))
    assert threads and threading.get_ident() not in threads


def test_pillow_is_not_imported_until_the_first_photo() -> None:
    code = (
        "import sys, bot.app, storage.photos, storage.files\n"
        "assert 'PIL' not in sys.modules and 'pillow_heif' not in sys.modules, 'imported at start'\n"
        "storage.photos.pillow()\n"
        "assert 'PIL' in sys.modules and 'pillow_heif' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


# 2. A file that does not decode fully is refused.


def truncated_png() -> bytes:
    """Return a real PNG cut off in the middle of its pixel data."""
    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((300, 200), 50).convert("RGB").save(buf, format="PNG")
    data = buf.getvalue()
    return data[: len(data) // 2]


@pytest.mark.parametrize("kind", ["jpeg", "png"])
async def test_truncated_image_is_refused_with_the_reason(harness: Harness, kind: str) -> None:
    h = harness
    await seed(h)
    whole = jpeg(3, (640, 480))
    data = whole[: len(whole) // 2] if kind == "jpeg" else truncated_png()
    out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(data),))
    assert h.texts(out) == T.PHOTO_BROKEN
    assert await photo_rows(h) == [] and files_under(h.app.settings.storage.photo_dir) == []
    out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(whole),))  # the whole file
    assert card_of(out).card is not None


# 3. HEIC originals sent as files.


async def test_heic_original_sent_as_a_file_is_stored(harness: Harness) -> None:
    h = harness
    await seed(h)
    data = heic((320, 240))
    out = await h.say(
        ZHANG, "/hazard 二车间配电箱门未关闭", files=(as_document(h, data, "image/heic", "IMG_0042.HEIC"),)
    )
    assert card_of(out).card is not None and await hazard_count(h) == 1
    [photo] = await photo_rows(h)
    assert (photo.mime_type, photo.width, photo.height) == ("image/heif", 320, 240)
    assert photo.path.endswith(".heif")
    assert (h.app.settings.storage.photo_dir / photo.path).read_bytes() == data


# 4. The photo directory cannot be written.


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Return the photo store's log messages of one level."""
    return [r.getMessage() for r in caplog.records if r.name == "storage.photos" and r.levelno == level]


async def test_unwritable_photo_dir_is_told_and_logged_once(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a regular file where a directory should be")
    settings = make_settings(sqlite_url, tmp_path)
    settings.storage.photo_dir = blocker / "photos"  # mkdir fails with NotADirectoryError, also for root
    h = await Harness.create(settings, clock)
    caplog.set_level(logging.INFO, logger="storage.photos")
    try:
        await seed(h)
        for n in range(3):
            out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(n)),))
            assert h.texts(out) == T.PHOTO_NOT_SAVED
        assert await photo_rows(h) == [] and await hazard_count(h) == 0
        errors = logged(caplog, logging.ERROR)
        assert (
            len(errors) == 1 and "cannot write photos under" in errors[0] and "Not a directory" in errors[0]
        )

        blocker.unlink()  # the operator fixes it: the next photo is stored, and the recovery is logged
        out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(7)),))
        assert card_of(out).card is not None
        assert len(logged(caplog, logging.WARNING)) == 1

        (blocker / "photos").rename(tmp_path / "moved")  # broken again: logged again, once
        blocker.rmdir()
        blocker.write_text("again")
        for n in range(10, 12):
            out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(n)),))
            assert h.texts(out) == T.PHOTO_NOT_SAVED
        assert len(logged(caplog, logging.ERROR)) == 2
    finally:
        await h.close()


def test_full_disk_is_logged_again_only_when_the_cause_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = PhotoStore(tmp_path / "photos")
    caplog.set_level(logging.INFO, logger="storage.photos")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(photos_module.os, "fsync", full)
    for n in range(3):
        with pytest.raises(PhotoNotSaved):
            store.save(jpeg(n), 10**6)
    assert len(logged(caplog, logging.ERROR)) == 1
    assert [p.name for p in (tmp_path / "photos").rglob(".incoming-*")] == []  # no half-written file left
    monkeypatch.setattr(photos_module.tempfile, "mkstemp", denied)  # another cause: logged
    with pytest.raises(PhotoNotSaved):
        store.save(jpeg(5), 10**6)
    errors = logged(caplog, logging.ERROR)
    assert len(errors) == 2 and "No space left" in errors[0] and "Permission denied" in errors[1]
    monkeypatch.undo()
    store.save(jpeg(6), 10**6)
    assert len(logged(caplog, logging.WARNING)) == 1  # written again


def test_saving_known_bytes_touches_the_file(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    stored = store.save(jpeg(1), 10**6)
    os.utime(stored.path, (0, 0))
    assert store.save(jpeg(1), 10**6) == stored
    assert stored.path.stat().st_mtime > time.time() - 60  # a cleanup's grace period spares it again
    stored.path.rename(tmp_path / "aside")  # a cleanup took it away meanwhile: written anew
    assert store.save(jpeg(1), 10**6) == stored and stored.path.read_bytes() == jpeg(1)


# 5. Files without rows and rows without files.


async def make_orphans(h: Harness) -> tuple[Path, str, str]:
    """Report one hazard, let a person without a role try to, and lose one photo file; return paths."""
    await seed(h)
    root = h.app.settings.storage.photo_dir
    out = await h.say(XIAO, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(1)),))  # refused: no role
    assert "需要以下身份之一" in h.texts(out)
    [orphan] = files_under(root)
    card_of(await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(2)),)))
    card_of(await h.say(ZHANG, "/hazard 消防通道堵塞", files=(h.add_file(jpeg(3)),)))
    rows = await photo_rows(h)
    assert len(rows) == 2 and orphan not in {r.path for r in rows}
    (root / rows[1].path).unlink()  # lost on disk: the row stays, it is evidence
    return root, orphan, rows[1].path


async def test_storage_check_reports_and_fixes_orphans(any_harness: Harness) -> None:
    h = any_harness
    root, orphan, lost = await make_orphans(h)
    (root / "ab").mkdir(exist_ok=True)
    temp = root / "ab" / ".incoming-x1y2z3"  # a write that died midway
    temp.write_bytes(b"partial")
    (root / "README.txt").write_text("not the bot's file")
    now = h.clock.now()
    for name in (orphan, "ab/.incoming-x1y2z3", "README.txt"):
        os.utime(root / name, (now.timestamp() - 1800,) * 2)  # half an hour old

    found = await check_photo_files(h.app.db, root, now)
    assert (found.files, found.rows) == (4, 2)
    assert sorted((o.path, o.ours, o.action) for o in found.orphans) == sorted(
        [("README.txt", False, "found"), ("ab/.incoming-x1y2z3", True, "found"), (orphan, True, "found")]
    )
    assert [(m.path, m.hazards) for m in found.missing] == [(lost, ("YH-2026-0002",))]
    assert not found.clean

    young = await check_photo_files(h.app.db, root, now, fix=True)  # within the hour: spared
    assert {o.action for o in young.orphans} == {"kept (young)", "kept (not ours)"}
    assert (root / orphan).exists()

    fixed = await check_photo_files(h.app.db, root, now, fix=True, grace=timedelta(minutes=10))
    assert sorted((o.path, o.action) for o in fixed.orphans) == sorted(
        [("README.txt", "kept (not ours)"), ("ab/.incoming-x1y2z3", "removed"), (orphan, "removed")]
    )
    assert fixed.removed == 2 and len(fixed.missing) == 1
    assert files_under(root) == sorted(["README.txt", (await photo_rows(h))[0].path])
    assert len(await photo_rows(h)) == 2  # the row whose file is lost is kept

    (root / "README.txt").unlink()
    (root / lost).write_bytes(jpeg(3))  # restored from a backup: all agree
    assert (await check_photo_files(h.app.db, root, now)).clean


async def test_fix_spares_an_orphan_sent_again_while_it_runs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    root, orphan, _ = await make_orphans(h)
    os.utime(root / orphan, (time.time() - 7200,) * 2)
    listed = files_module._walk

    def list_then_resend(where: Path) -> dict[str, os.stat_result]:
        found = listed(where)
        h.app.photos.save(jpeg(1), 10**6)  # the same bytes arrive again after the listing: touched
        return found

    monkeypatch.setattr(files_module, "_walk", list_then_resend)
    result = await check_photo_files(h.app.db, root, datetime.now(UTC), fix=True)
    assert [o.action for o in result.orphans] == ["kept (young)"] and (root / orphan).exists()


async def test_storage_check_command(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    h = harness
    root, orphan, lost = await make_orphans(h)
    cfg = h.app.settings.storage.photo_dir.parent / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "{h.app.settings.database.url}"\n[storage]\nphoto_dir = "{root}"\n',
        encoding="utf-8",
    )

    assert await asyncio.to_thread(main, ["--config", str(cfg), "storage", "check"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"orphan file {orphan}: ") and lines[0].endswith(
        "no photo or document row; found"
    )
    assert lines[1].startswith(f"missing file {lost}: photo #2 of ")
    assert lines[1].endswith("used by YH-2026-0002; row kept as evidence")
    assert (
        lines[2] == "summary: 2 files, 2 photo and document rows; orphan files: 1; rows without their file: 1"
    )

    # Written just now: the default hour spares it; once it is two hours old, --fix removes it.
    assert await asyncio.to_thread(main, ["storage", "check", "--fix", "--config", str(cfg)]) == 1
    assert "orphan files: 1 (0 removed);" in capsys.readouterr().out and (root / orphan).exists()
    os.utime(root / orphan, (time.time() - 7200,) * 2)
    assert (
        await asyncio.to_thread(main, ["storage", "check", "--fix", "--grace", "90", "--config", str(cfg)])
        == 1
    )
    out = capsys.readouterr().out
    assert f"orphan file {orphan}: " in out and "; removed" in out
    assert "orphan files: 1 (1 removed); rows without their file: 1" in out
    assert not (root / orphan).exists() and len(await photo_rows(h)) == 2

    (root / lost).parent.mkdir(parents=True, exist_ok=True)
    (root / lost).write_bytes(jpeg(3))  # restored from a backup: all agree
    assert await asyncio.to_thread(main, ["storage", "check", "--config", str(cfg)]) == 0
    assert (
        capsys.readouterr().out.strip()
        == "summary: 2 files, 2 photo and document rows; orphan files: 0; rows without their file: 0"
    )

    with pytest.raises(SystemExit):
        main(["storage", "check", "--grace", "soon", "--config", str(cfg)])
