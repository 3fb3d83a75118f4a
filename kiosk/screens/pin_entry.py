"""The staff PIN prompt, opened by the staff key from the idle screen.

A wrong PIN, or nothing for a while, goes back to idle without a hint of what
staff functions exist. Without a configured PIN hash the menu cannot open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.pin import InvalidPinHash, verify_pin
from kiosk.screens.timed import TimedScreen
from kiosk.settings import Texts


class PinScreen(TimedScreen[bool | None]):
    """Dismisses with True for the right PIN, False for a wrong one, None when left alone."""

    CSS_PATH = "pin_entry.tcss"

    def __init__(self, pin_hash: str, *, texts: Texts, timeout: float, clock: Callable[[], datetime]) -> None:
        super().__init__(timeout=timeout, clock=clock)
        self.pin_hash = pin_hash
        self.texts = texts

    def compose(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static(Text(self.texts.pin_title), id="pin-title")
            yield Input(password=True, restrict=r"[0-9]*", max_length=12, id="pin")
            yield Static(Text("" if self.pin_hash else self.texts.pin_missing), id="pin-message")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()
        self.start_timeout()

    def time_out(self) -> None:
        if self.is_current:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            ok = bool(self.pin_hash) and verify_pin(event.value, self.pin_hash)
        except InvalidPinHash as error:  # checked at start; kept for a hash that changed under us
            self.query_one("#pin-message", Static).update(Text(str(error)))
            return
        self.dismiss(ok)
