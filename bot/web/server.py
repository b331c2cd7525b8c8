"""Serving the desk in the bot's own process (`safetybot run` with `[web] listen` set)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.web.app import make_app
from bot.web.desk import Desk

logger = logging.getLogger(__name__)


class WebServer:
    """The desk's HTTP server: started after the database is prepared, stopped before it is closed."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on `[web] listen`."""
        host, port = self.desk.settings.web.host_port
        self._runner = web.AppRunner(make_app(self.desk), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        logger.info("web desk on %s (people open %s)", self.desk.settings.web.listen, self.desk.settings.web.public_url)

    async def stop(self) -> None:
        """Stop answering; requests under way finish first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
