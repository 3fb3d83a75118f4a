"""After "fell short": what fell short, as one-tap chips (several may apply).

A chip shows its state by symbol (☐ / ☑) as well as colour. Nothing is focused when the step
opens; Enter alone finishes only once the customer has picked something (keypad users), so a
stray Enter from the first tap never skips the question.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal
from textual.widgets import Button, Static

from kiosk.flow import Step
from kiosk.screens.step import StepScreen
from shared.text import printable

UNCHOSEN, CHOSEN = "☐", "☑"


class ReasonsScreen(StepScreen):
    CSS_PATH = "reasons.tcss"
    step: ClassVar[Step] = Step.REASONS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,up", "move_focus(-1)", show=False),
        Binding("right,down", "move_focus(1)", show=False),
        Binding("enter", "done_if_chosen", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.texts.reasons_title), id="title", classes="title")
        yield Static(Text(self.texts.reasons_hint), classes="hint")
        with Grid(id="chips"):
            for key in self.settings.reasons:
                yield Button(self._label(key, chosen=False), name=key, classes="chip")
        with Horizontal(classes="actions"):
            yield Button(Text(self.texts.skip), id="skip")
            yield Button(Text(self.texts.done), id="done", variant="primary")

    def _label(self, key: str, *, chosen: bool) -> Text:
        number = list(self.settings.reasons).index(key) + 1
        return Text(f"{CHOSEN if chosen else UNCHOSEN} {printable(self.settings.reasons[key])} [{number}]")

    @property
    def chosen(self) -> list[str]:
        return [chip.name for chip in self.query(".chip").results(Button) if chip.has_class("-chosen") and chip.name]

    def toggle(self, chip: Button, chosen: bool | None = None) -> None:
        chosen = not chip.has_class("-chosen") if chosen is None else chosen
        chip.set_class(chosen, "-chosen")
        chip.variant = "warning" if chosen else "default"
        chip.label = self._label(chip.name or "", chosen=chosen)

    def on_key(self, event: events.Key) -> None:
        chips = list(self.query(".chip").results(Button))
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(chips):
            event.stop()
            self.toggle(chips[int(event.character) - 1])

    def action_done_if_chosen(self) -> None:
        if self.chosen:
            self.finish(self.chosen)

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
            self.toggle(chip, chosen=False)
