"""The thank-you: a short message, then back to idle. Taps here are ignored on purpose
(a customer's second tap must not become a second answer)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static


class ThanksScreen(Screen[None]):
    CSS_PATH = "thanks.tcss"

    def __init__(self, title: str, lines: list[str], seconds: float) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static(self.title_text, id="thanks")
            for line in self.lines:
                yield Static(line, classes="detail")

    def on_mount(self) -> None:
        self.set_timer(self.seconds, self._done)

    def _done(self) -> None:
        if self.is_current:
            self.dismiss()

    def on_key(self, event: events.Key) -> None:
        event.stop()

    def on_click(self, event: events.Click) -> None:
        event.stop()
