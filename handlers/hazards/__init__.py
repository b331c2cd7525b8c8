"""Hazards in the chat, one router per module (in /help order): `report.py`, `edit.py`, `view.py`,
`rectify.py`, `corrections.py`; the card and its buttons in `card.py`, captions read by `text.py`."""
