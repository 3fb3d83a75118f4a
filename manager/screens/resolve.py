"""Resolve a follow-up: how the loop was closed, and a note for the record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from shared.followups import Resolution

LABELS = {
    Resolution.RECOVERED: "Recovered: the customer is happy again",
    Resolution.APOLOGISED: "Apologised",
    Resolution.COULD_NOT_REACH: "Could not reach the customer",
    Resolution.NO_ACTION_NEEDED: "No action needed",
}


@dataclass(frozen=True, slots=True)
class ResolveChoice:
    resolution: Resolution
    note: str


class ResolveScreen(ModalScreen[ResolveChoice | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar = [
        ("escape", "cancel", "Cancel"),
        *((str(number), f"pick({number - 1})", "") for number in range(1, len(LABELS) + 1)),
    ]

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Resolve: {self.summary}"), classes="question")
            with RadioSet(id="resolution"):
                for number, (resolution, label) in enumerate(LABELS.items(), start=1):
                    yield RadioButton(f"{number} {label}", id=str(resolution))
            # Not selected on focus: a manager who tabs away and back keeps typing after the note, not over it.
            yield Input(placeholder="Note: what happened (optional)", id="note", select_on_focus=False)
            yield Static("", id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Resolve", id="resolve", variant="success")
                yield Button("Cancel", id="cancel")

    def action_pick(self, index: int) -> None:
        buttons = list(self.query(RadioButton))
        buttons[index].value = True
        self.query_one("#note", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id == "resolve":
            self._submit()

    def _submit(self) -> None:
        pressed = self.query_one("#resolution", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            self.query_one("#problem", Static).update("Choose how it was resolved (1–4) first.")
            return
        self.dismiss(ResolveChoice(Resolution(pressed.id), self.query_one("#note", Input).value.strip()))
