"""The web desk: the park's ledger, photos, receipts and campaigns on server-rendered pages (aiohttp.web +
Jinja2), signed in with a one-time link the bot sends on `/web`.

It reads `domain/` (rules, operations, queries) and `storage/`, never `handlers/`: what must render exactly
as the chat does (accepting a fix) is handed in by `bot/app.py` (`Desk.verify`).
"""
