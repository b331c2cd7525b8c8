"""Photo files on local disk, content-addressed by SHA-256: no path is ever built from user input.

Pillow (with the HEIF opener of pillow-heif) is imported on the first photo, not at start: it is not
on the per-update path. `PhotoStore.save` is meant for a worker thread (the dispatcher uses
`asyncio.to_thread`): other updates go on while a large image is decoded.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "HEIF": "image/heif",
    "TIFF": "image/tiff",
}
# Names the store writes: `<ab>/<sha256>.<ext>`, and its temporary files while writing one.
TEMP_PREFIX = ".incoming-"
# Before | after pictures for the verification card, made from two stored photos: a cache, rebuilt on demand.
COMPOSITE_DIR = "composites"
COMPOSITE_HEIGHT = 1080  # pixels: enough for a chat card, and each side is decoded at no more than twice that
COMPOSITE_DIVIDER = 8  # pixels of white between the two photos
# PDFs (校验报告, 检测报告) live beside the photos, content-addressed the same way: `documents/<ab>/<sha256>.pdf`.
DOCUMENT_DIR = "documents"
PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
PDF_TAIL = 2048  # bytes at the end searched for the end-of-file marker (trailing whitespace, junk)
# Office documents (work plans sent with notices and campaigns): OOXML files are ZIP archives named by
# the folder their main part lives in; the older binary formats share one OLE header, told apart by name.
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_PARTS = {
    "word/": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xl/": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ppt/": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
OLE_TYPES = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
# A CSV table (a question bank for the knowledge quiz) is kept by its name and only when it reads as
# UTF-8 or GBK text without NUL bytes: text has no magic number to tell it by.
CSV_TYPE = "text/csv"
CSV_ENCODINGS = ("utf-8-sig", "gbk")
DOCUMENT_EXTENSIONS = ("pdf", *(ext for ext, _ in OOXML_PARTS.values()), *OLE_TYPES, "csv")
DOCUMENT_MAGICS = (PDF_MAGIC, ZIP_MAGIC, OLE_MAGIC)

_pillow_lock = threading.Lock()
_pillow_module: ModuleType | None = None


def pillow() -> ModuleType:
    """Return `PIL.Image` with the HEIF opener registered, importing both on first use."""
    global _pillow_module
    with _pillow_lock:
        if _pillow_module is None:
            from PIL import Image
            from pillow_heif import register_heif_opener

            register_heif_opener()
            # The store applies its own limit (storage.max_pixels) right after reading the header, before
            # decoding, and names the size when it refuses. Pillow's process-wide guard would warn above
            # 89 MP (a 108 MP phone photo) and refuse above 179 MP without saying how large the image is.
            Image.MAX_IMAGE_PIXELS = None
            _pillow_module = Image
        return _pillow_module


def small_jpeg(source: Path, size: tuple[int, int], quality: int = 80) -> bytes:
    """Return a stored photo made small (a thumbnail of at most `size`) as JPEG bytes; a JPEG is decoded at
    a fraction of its size. For the web desk's ledger and the export's embedded pictures."""
    image_module = pillow()
    with image_module.open(source) as img:
        img.draft("RGB", size)
        small = img.convert("RGB")
    small.thumbnail(size)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return out.getvalue()


class PhotoRefused(ValueError):
    """The bytes are not a photo the store keeps; the subclass says why."""


class NotAnImage(PhotoRefused):
    """The bytes are not a picture format we keep."""


class TooManyPixels(PhotoRefused):
    """The header declares more pixels than the limit; nothing was decoded."""

    def __init__(self, width: int, height: int, limit: int) -> None:
        super().__init__(f"{width}x{height} = {width * height} pixels, more than {limit}")
        self.width = width
        self.height = height
        self.limit = limit


class BrokenImage(PhotoRefused):
    """The header is readable but the pixels do not decode: a truncated or damaged file."""


class NotAPdf(PhotoRefused):
    """The bytes do not start with the PDF header: not a document we keep."""


class BrokenPdf(PhotoRefused):
    """The PDF header is there but the end-of-file marker is not: a truncated file."""


def document_type(data: bytes, file_name: str) -> tuple[str, str]:
    """Return the extension and type of a document we keep (PDF, Word, Excel, PowerPoint), by its bytes.

    Raise NotAPdf for anything else (an archive that is not an office document, a renamed file) and
    BrokenPdf for a PDF cut short. The name only tells the old binary formats apart, never decides.
    """
    if data.startswith(PDF_MAGIC):
        check_pdf(data)
        return "pdf", "application/pdf"
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise NotAPdf(f"not a whole ZIP archive: {exc}") from exc
        if "[Content_Types].xml" in names:
            for folder, kind in OOXML_PARTS.items():
                if any(n.startswith(folder) for n in names):
                    return kind
        raise NotAPdf("a ZIP archive that is not an office document")
    if data.startswith(OLE_MAGIC):
        ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        if ext in OLE_TYPES:
            return ext, OLE_TYPES[ext]
    if file_name.lower().endswith(".csv") and is_text(data):
        return "csv", CSV_TYPE
    raise NotAPdf("not a PDF or office document")


def is_text(data: bytes) -> bool:
    """Tell whether bytes are UTF-8 or GBK text without NUL bytes (what a CSV file must be)."""
    if b"\x00" in data:
        return False
    for encoding in CSV_ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


class PhotoNotSaved(Exception):
    """The photo is fine but could not be written under the photo directory (disk full, permissions)."""


@dataclass(frozen=True)
class StoredPhoto:
    """A photo written to disk: its hash, where it is, and what it is."""

    sha256: str
    path: Path
    size: int
    mime_type: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredDocument:
    """A PDF or office document written to disk: its hash, where it is, and the name it was sent under."""

    sha256: str
    path: Path
    size: int
    mime_type: str
    file_name: str


def check_pdf(data: bytes) -> None:
    """Raise NotAPdf unless the bytes start with the PDF header, BrokenPdf when its end marker is missing."""
    if not data.startswith(PDF_MAGIC):
        raise NotAPdf("no %PDF- header")
    if PDF_END not in data[-PDF_TAIL:]:
        raise BrokenPdf("no %%EOF marker near the end")


def check_image(data: bytes, max_pixels: int) -> tuple[str, int, int]:
    """Return the format, width and height of a whole image within the pixel limit; raise PhotoRefused."""
    image = pillow()
    try:
        # Lazy: reads the header, decodes no pixels. Only the kept formats' plugins look at the bytes.
        img = image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except Exception as exc:  # plugins reading untrusted headers raise many kinds of errors
        raise NotAnImage(str(exc)) from exc
    with img:
        fmt = img.format or ""
        width, height = img.size
        if fmt not in ALLOWED_FORMATS:
            raise NotAnImage(f"format {fmt!r} not accepted")
        if width * height > max_pixels:
            raise TooManyPixels(width, height, max_pixels)
        # A JPEG is decoded at 1/8 scale: libjpeg still reads every byte, so a truncated file fails just
        # the same, with 1/64 of the memory (a 108 MP photo: 8 MB instead of 400). Other formats ignore it.
        img.draft(None, (max(1, width // 8), max(1, height // 8)))
        try:
            img.load()  # the first frame of an animation is enough
        except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ...
            raise BrokenImage(str(exc)) from exc
    return fmt, width, height


class PhotoStore:
    """Writes photos under one directory as `<ab>/<sha256>.<ext>`; identical bytes are stored once.

    A write failure is logged once per cause (exception type and errno), not once per photo: the next
    log line about it comes when the cause changes or after a photo was written again.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._failing: tuple[str, int | None] | None = None

    def path_for(self, sha256: str, mime_type: str) -> Path:
        """Return where a photo with this hash lives."""
        _check_digest(sha256)
        ext = mime_type.split("/")[-1].replace("jpeg", "jpg")
        return self.root / sha256[:2] / f"{sha256}.{ext}"

    def save(self, data: bytes, max_pixels: int) -> StoredPhoto:
        """Check the bytes are a whole image within the pixel limit, write them atomically, return it."""
        fmt, width, height = check_image(data, max_pixels)
        mime = ALLOWED_FORMATS[fmt]
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha, mime)
        self._write(path, data)
        return StoredPhoto(sha256=sha, path=path, size=len(data), mime_type=mime, width=width, height=height)

    def document_path_for(self, sha256: str, ext: str = "pdf") -> Path:
        """Return where a document with this hash (and extension) lives."""
        _check_digest(sha256)
        if ext not in DOCUMENT_EXTENSIONS:
            raise ValueError(f"not a document extension we write: {ext!r}")
        return self.root / DOCUMENT_DIR / sha256[:2] / f"{sha256}.{ext}"

    def save_document(self, data: bytes, file_name: str) -> StoredDocument:
        """Check the bytes are a whole PDF or office document, write them atomically, return it.

        The name is only remembered (and tells .doc from .xls); the bytes decide what the file is.
        """
        ext, mime = document_type(data, file_name)
        sha = hashlib.sha256(data).hexdigest()
        path = self.document_path_for(sha, ext)
        self._write(path, data)
        return StoredDocument(sha256=sha, path=path, size=len(data), mime_type=mime, file_name=file_name)

    def _write(self, path: Path, data: bytes) -> None:
        """Write the file, logging a failure once per cause and the recovery after it (PhotoNotSaved)."""
        try:
            self._write_once(path, data)
        except OSError as exc:
            self._failed(exc)
            raise PhotoNotSaved(str(exc)) from exc
        self._succeeded()

    def _write_once(self, path: Path, data: bytes) -> None:
        """Write the file unless it is already there; touch an existing one so a cleanup spares it."""
        try:
            os.utime(path)  # `storage check --fix` removes only files untouched for its grace period
            return
        except FileNotFoundError:
            pass
        except OSError:
            if path.is_file():
                return  # a read-only disk still serves the photos it has
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _failed(self, exc: OSError) -> None:
        """Log a write failure unless the same cause is already logged."""
        cause = (type(exc).__name__, exc.errno)
        with self._lock:
            if cause == self._failing:
                return
            self._failing = cause
        logger.error(
            "cannot write photos under %s: %s; senders are asked to try again later "
            "(logged again only when the cause changes or after it recovered)",
            self.root,
            exc,
        )

    def _succeeded(self) -> None:
        """Log the recovery after a logged write failure."""
        with self._lock:
            if self._failing is None:
                return
            self._failing = None
        logger.warning("photos under %s are written again", self.root)


def _check_digest(sha256: str) -> None:
    """Refuse anything but a sha256 hex digest as a file name (ValueError)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")


def composite_path(root: Path, left_sha256: str, right_sha256: str) -> Path:
    """Return where the side-by-side picture of two stored photos lives: named by the hash of both hashes."""
    for sha in (left_sha256, right_sha256):
        _check_digest(sha)
    name = hashlib.sha256(f"{left_sha256}|{right_sha256}".encode()).hexdigest()
    return root / COMPOSITE_DIR / f"{name}.jpg"


def side_by_side(root: Path, left: Path, left_sha256: str, right: Path, right_sha256: str) -> Path:
    """Return a JPEG of two photos side by side (same height, a thin white divider), made once and cached.

    No text is drawn (no CJK font is guaranteed); the card says which side is which. Blocking: call it
    in a worker thread. Raises OSError (or a decoder's error) when a photo cannot be read or the
    picture cannot be written; the caller then shows a single photo.
    """
    path = composite_path(root, left_sha256, right_sha256)
    if path.is_file():
        return path
    image = pillow()
    from PIL import ImageOps  # Pillow is loaded by now (`pillow()`): this costs nothing more

    sides = []
    for source in (left, right):
        with image.open(source) as img:
            # Decode a large JPEG at a reduced scale: a card never needs the 108 MP original.
            img.draft("RGB", (COMPOSITE_HEIGHT * 4, COMPOSITE_HEIGHT * 2))
            upright = ImageOps.exif_transpose(img)  # phones store rotation as a tag, not in the pixels
            sides.append(upright.convert("RGB"))
    height = min(COMPOSITE_HEIGHT, *(s.height for s in sides))
    lanczos = image.Resampling.LANCZOS
    scaled = [s.resize((max(1, round(s.width * height / s.height)), height), lanczos) for s in sides]
    canvas = image.new("RGB", (scaled[0].width + COMPOSITE_DIVIDER + scaled[1].width, height), "white")
    canvas.paste(scaled[0], (0, 0))
    canvas.paste(scaled[1], (scaled[0].width + COMPOSITE_DIVIDER, 0))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=85)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(out.getvalue())
        os.replace(tmp, path)  # two builders at once write the same bytes: either one wins
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
