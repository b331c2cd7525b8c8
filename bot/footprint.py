"""What keeps the running bot's resident memory small: libraries kept from loading what the bot never
uses, and the heap settled once start-up is over. `bench/hotpath.py` prints the figures."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def without(*modules: str) -> Iterator[None]:
    """Hide installed packages while a library is imported that would load them for nothing.

    python-telegram-bot imports `cryptography` (Telegram Passport, which the bot never uses) whenever it
    is installed, and the WeCom adapter's media decryption installs it: about 9 MB of resident memory.
    httpcore (imported when the adapter makes its HTTP clients) imports `trio` whenever it is installed (a
    development tool brings it), about 3.5 MB with its dependencies, though it only ever runs on asyncio.
    Hidden while they are first imported, both stay importable afterwards (WeCom needs `cryptography`)."""
    hidden = [m for m in modules if m not in sys.modules]
    for module in hidden:
        sys.modules[module] = None  # type: ignore[assignment]  # an import of it fails as "not installed"
    try:
        yield
    finally:
        for module in hidden:
            del sys.modules[module]


def settle() -> None:
    """Once every platform is up: collect what start-up left behind and move what lives as long as the
    process (modules, mappers, settings) out of the collector's way, so later collections never walk it.

    Measured with bench/hotpath.py, this changes no RSS figure (idle, 1,000 or 10,000 updates); neither
    did glibc's malloc_trim(0) here, nor MALLOC_ARENA_MAX=1 or a lower trim threshold, so none is used."""
    gc.collect()
    gc.freeze()
