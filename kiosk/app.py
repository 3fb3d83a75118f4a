"""Placeholder kiosk: three choices, keys 1/2/3, each tap recorded at once."""

from __future__ import annotations

import uuid
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.widgets import Button, Static

from shared.config import Config
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore


class KioskApp(App[None]):
    BINDINGS: ClassVar = [("1", "answer('below')"), ("2", "answer('met')"), ("3", "answer('exceeded')")]

    def __init__(self, config: Config, *, station: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.station = station or "counter"
        self.store = FeedbackStore.from_config(config)

    def compose(self) -> ComposeResult:
        yield Static("Did we meet your expectations today?", id="question")
        yield Button("1  Fell short", id="below")
        yield Button("2  Met", id="met")
        yield Button("3  Exceeded", id="exceeded")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id or "met")

    def action_answer(self, outcome: str) -> None:
        self.store.record_rating(
            Rating(
                id=str(uuid.uuid4()),
                ts=self.store.clock(),
                channel=Channel.KIOSK,
                outcome=Outcome(outcome),
                station=self.station,
            )
        )
        self.notify("Thank you!")
