"""Hazards: the closed loop 排查→登记→整改→验收→销号 (filled in by the hazard issue)."""

from __future__ import annotations

from bot.routing import Router

router = Router("hazards")
