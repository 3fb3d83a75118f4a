"""Ask who is at the console, when neither --name, the config nor the login says."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NameScreen(ModalScreen[str]):
    CSS_PATH = "dialogs.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Who is at the console? Your name is recorded on what you claim.", classes="question")
            yield Input(placeholder="Your name", id="name")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
