"""The thank-you: a short message, then back to idle. Taps here are ignored on purpose
(a customer's second tap must not become a second answer).

Made once and shown again for every visit, like the step screens (see :mod:`kiosk.screens.step`).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from shared.text import printable


class ThanksScreen(Screen[None]):
    CSS_PATH = "thanks.tcss"

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.title_text = ""
        self.lines: list[str] = []
        self._timer: Timer | None = None

    def prepare(self, title: str, lines: list[str]) -> None:
        """Set what the next thank-you says; call before showing."""
        self.title_text, self.lines = title, lines
        if self.is_mounted:
            self._fill()

    def compose(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static(id="thanks")
            yield Static(classes="detail")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        self.query_one("#thanks", Static).update(Text(printable(self.title_text, keep_lines=True)))
        self.query_one(".detail", Static).update(Text(printable("\n".join(self.lines), keep_lines=True)))

    def on_screen_resume(self) -> None:
        self._timer = self.set_timer(self.seconds, self._done)

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _done(self) -> None:
        if self.is_current:
            self.dismiss()

    def on_key(self, event: events.Key) -> None:
        event.stop()

    def on_click(self, event: events.Click) -> None:
        event.stop()
