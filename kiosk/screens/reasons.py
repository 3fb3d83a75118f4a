"""After "fell short": what fell short, as one-tap chips (several may apply)."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal
from textual.widgets import Button, Static

from kiosk.flow import Step
from kiosk.screens.step import StepScreen


class ReasonsScreen(StepScreen):
    CSS_PATH = "reasons.tcss"
    step: ClassVar[Step] = Step.REASONS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,up", "app.focus_previous", show=False),
        Binding("right,down", "app.focus_next", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.texts.reasons_title, id="title", classes="title")
        yield Static(self.texts.reasons_hint, classes="hint")
        with Grid(id="chips"):
            for number, (key, label) in enumerate(self.settings.reasons.items(), start=1):
                yield Button(f"{label} [{number}]", name=key, classes="chip")
        with Horizontal(classes="actions"):
            yield Button(self.texts.skip, id="skip")
            yield Button(self.texts.done, id="done", variant="primary")

    @property
    def chosen(self) -> list[str]:
        return [chip.name for chip in self.query(".chip").results(Button) if chip.has_class("-chosen") and chip.name]

    def toggle(self, chip: Button) -> None:
        chip.toggle_class("-chosen")
        chip.variant = "warning" if chip.has_class("-chosen") else "default"

    def on_key(self, event: events.Key) -> None:
        chips = list(self.query(".chip").results(Button))
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(chips):
            event.stop()
            self.toggle(chips[int(event.character) - 1])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("chip"):
            self.toggle(event.button)
        elif event.button.id == "done":
            self.finish(self.chosen or None)
        elif event.button.id == "skip":
            self.skip()

    def on_screen_resume(self) -> None:
        for chip in self.query(".chip").results(Button):
            chip.remove_class("-chosen")
            chip.variant = "default"
        self.query_one("#done", Button).focus()
