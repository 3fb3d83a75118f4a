"""The idle screen: the question and three large choices, plus a QR code for answering by SMS.

Each customer finds it with nothing focused, so Enter alone answers nothing until an arrow or Tab
picks a choice (the previous customer's choice must not become the next one's answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.qr import half_block_lines, qr_matrix, sms_link
from kiosk.screens.focus import ArrowFocus
from kiosk.settings import KioskSettings
from shared.ratings import Outcome

SYMBOLS = {Outcome.BELOW: "✗", Outcome.MET: "✓", Outcome.EXCEEDED: "★"}
VARIANTS = {Outcome.BELOW: "error", Outcome.MET: "primary", Outcome.EXCEEDED: "success"}
CHOICES_MIN_WIDTH = 45


class IdleScreen(ArrowFocus, Screen[None]):
    CSS_PATH = "idle.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose('below')", show=False),
        Binding("2", "choose('met')", show=False),
        Binding("3", "choose('exceeded')", show=False),
        Binding("left,up", "move_focus(-1)", show=False),
        Binding("right,down", "move_focus(1)", show=False),
    ]

    @dataclass
    class Chosen(Message):
        """The customer's one tap."""

        outcome: Outcome

    def __init__(self, settings: KioskSettings, *, setup_mode: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.setup_mode = setup_mode
        self.texts = settings.texts
        self._qr_lines: list[str] = []
        if settings.sms_number:
            body = settings.texts.qr_body.replace("{code}", settings.station_code)
            self._qr_lines = half_block_lines(qr_matrix(sms_link(settings.sms_number, body)))

    def compose(self) -> ComposeResult:
        yield Static(Text(self.texts.question), id="question")
        with Horizontal(id="body"):
            with Horizontal(id="choices"):
                for number, outcome in enumerate(Outcome, start=1):
                    label = Text(f"{SYMBOLS[outcome]}\n{getattr(self.texts, outcome.value)}\n[{number}]")
                    yield Button(label, id=outcome.value, name=outcome.value, variant=VARIANTS[outcome])
            if self._qr_lines:
                with Vertical(id="qr-panel"):
                    yield Static(Text("\n".join(self._qr_lines), style="black on white"), id="qr")
                    yield Static(Text(self.texts.qr_caption), id="qr-caption")
        if self.setup_mode:
            yield Static(Text(self.texts.setup_note), id="setup")
        with Horizontal(id="footer"):
            yield Static(Text(self.texts.hint), id="hint")
            yield Static("", id="status")

    def on_mount(self) -> None:
        self.watch(self.app, "status_mark", self._show_status)

    def on_screen_resume(self) -> None:
        self.set_focus(None)

    def _show_status(self, mark: str) -> None:
        self.query_one("#status", Static).update(Text(mark))

    def on_resize(self, event: events.Resize) -> None:
        """Show the QR code only when it fits beside three readable choices."""
        if not self._qr_lines:
            return
        width, height = len(self._qr_lines[0]) + 2, len(self._qr_lines) + 5
        fits = event.size.width >= width + CHOICES_MIN_WIDTH and event.size.height >= height
        self.query_one("#qr-panel").display = fits

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.name:
            self.action_choose(event.button.name)

    def action_choose(self, outcome: str) -> None:
        self.set_focus(None)  # the visit starts: nothing stays focused for the next customer
        self.post_message(self.Chosen(Outcome(outcome)))
