"""A reply in the form a platform can show: on a platform without buttons (the console, a plain webhook)
each button becomes its command, spelt out under the text or as a field of the card. The sender fits
every reply to its adapter's `Capabilities` just before sending."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Capabilities, Card, CardField, Reply
from handlers import texts as T


def fit_card(card: Card, caps: Capabilities) -> Card:
    """Return the card as a platform without buttons can show it: each action as its command."""
    if caps.buttons or not card.actions:
        return card
    commands = [b.command for row in card.actions for b in row if b.command]
    extra = (CardField("actions", T.CARD_COMMANDS_LABEL, "\n".join(commands)),) if commands else ()
    return replace(card, fields=card.fields + extra, actions=())


def fit(reply: Reply, caps: Capabilities) -> Reply:
    """Return the reply in the form a platform can show (see `fit_card`)."""
    if caps.buttons:
        return reply
    card = fit_card(reply.card, caps) if reply.card is not None else None
    commands = [b.command for row in reply.buttons for b in row if b.command]
    text = reply.text
    if commands:
        text = "\n".join([text or "", T.BUTTON_COMMANDS_HINT, *commands]).strip()
    return replace(reply, card=card, text=text, buttons=())
