"""A bare python-telegram-bot 22 echo bot: the baseline `bench/hotpath.py` measures the bot against.

One Application, one MessageHandler that replies with the message's text and one CallbackQueryHandler
that answers a button press with a short toast (the baseline for presses), long polling with the same
parameters as `safetybot run` (poll_interval 0, the given getUpdates timeout, the same allowed updates)
and the same logging set-up (INFO on the root logger, httpx quietened to WARNING).
Run: `ECHO_BOT_TOKEN=... .venv/bin/python bench/echo_bot.py --base-url URL --base-file-url URL`.
"""

from __future__ import annotations

import argparse
import logging
import os

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the message's own text."""
    message = update.message
    if message is not None and message.text:
        await message.reply_text(message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press with a toast."""
    query = update.callback_query
    if query is not None:
        await query.answer("收到")


def main() -> None:
    """Poll the configured Bot API server until SIGINT or SIGTERM."""
    p = argparse.ArgumentParser(description="bare python-telegram-bot echo bot (benchmark baseline)")
    p.add_argument("--base-url", required=True, help="Bot API base URL, e.g. http://127.0.0.1:8081/bot")
    p.add_argument("--base-file-url", required=True, help="Bot API file base URL")
    p.add_argument("--poll-timeout", type=int, default=30, help="getUpdates long-polling timeout (s)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = (
        Application.builder()
        .token(os.environ["ECHO_BOT_TOKEN"])
        .base_url(args.base_url)
        .base_file_url(args.base_file_url)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(
        poll_interval=0.0, timeout=args.poll_timeout, allowed_updates=["message", "callback_query"]
    )


if __name__ == "__main__":
    main()
