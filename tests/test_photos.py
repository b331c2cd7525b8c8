"""Photo files: bad images refused with the reason before they cost memory; HEIC kept; unwritable storage told."""

from __future__ import annotations

import errno
import io
import logging
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import load_settings
from bot.messages import FileRef
from handlers import texts as T
from storage import photos as photos_module
from storage.models import Hazard, Photo
from storage.photos import PhotoNotSaved, PhotoStore, TooManyPixels
from tests.harness import ZHANG, Harness, card_of, jpeg, make_settings, seed

ROOT = Path(__file__).resolve().parent.parent


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
        "import sys, bot.app, storage.photos\n"
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
