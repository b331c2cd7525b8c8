"""Photo files on local disk, content-addressed by SHA-256: no path is ever built from user input."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Pillow refuses absurd images (decompression bombs) by raising; keep its default guard.
ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "HEIF": "image/heif",
    "TIFF": "image/tiff",
}


class NotAnImage(ValueError):
    """The bytes are not a picture format we keep."""


@dataclass(frozen=True)
class StoredPhoto:
    """A photo written to disk: its hash, where it is, and what it is."""

    sha256: str
    path: Path
    size: int
    mime_type: str
    width: int
    height: int


class PhotoStore:
    """Writes photos under one directory as `<ab>/<sha256>.<ext>`; identical bytes are stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, mime_type: str) -> Path:
        """Return where a photo with this hash lives."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        ext = mime_type.split("/")[-1].replace("jpeg", "jpg")
        return self.root / sha256[:2] / f"{sha256}.{ext}"

    def save(self, data: bytes) -> StoredPhoto:
        """Check the bytes are an image, write them atomically and return what was stored."""
        from PIL import (  # imported on first photo: Pillow is not on the hot path
            Image,
            UnidentifiedImageError,
        )

        try:
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                img.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ) as exc:
            raise NotAnImage(str(exc)) from exc
        if fmt not in ALLOWED_FORMATS:
            raise NotAnImage(f"format {fmt!r} not accepted")
        mime = ALLOWED_FORMATS[fmt]
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha, mime)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredPhoto(sha256=sha, path=path, size=len(data), mime_type=mime, width=width, height=height)
