"""What the fake platform servers (`tests/fake_telegram.py`, `tests/fake_dingtalk.py`) share: an aiohttp
server on a free port of 127.0.0.1, and `wait_for`, which re-checks a condition whenever the fake
handled something (`_notify`) instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiohttp import web


class FakeServer:
    """An in-process fake of a platform's servers; a subclass routes the requests and acts as people."""

    recheck: float | None = None  # seconds: also re-check `wait_for` this often without a notification

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._cond: asyncio.Condition | None = None

    async def start(self) -> None:
        """Start serving (each fake binds its own routes)."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Shut the server down."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the server."""
        await self.stop()

    async def _serve(self, app: web.Application, shutdown_timeout: float) -> int:
        """Serve the app on a free port of 127.0.0.1 and return the port."""
        self._cond = asyncio.Condition()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()
        return port

    def summary(self) -> str:
        """Recent calls and problems, for assertion messages."""
        raise NotImplementedError

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() is true, re-checking each time the fake handled something."""
        assert self._cond is not None, f"{type(self).__name__} not started"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._cond:
            while not predicate():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(f"condition not met within {timeout}s\n{self.summary()}")
                wait = remaining if self.recheck is None else min(remaining, self.recheck)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), wait)

    async def _notify(self) -> None:
        """Wake every `wait_for`: something was handled."""
        if self._cond is not None:
            async with self._cond:
                self._cond.notify_all()
