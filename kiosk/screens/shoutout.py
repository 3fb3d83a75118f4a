"""After "exceeded": who made your day? A pick from the staff list, kept with the rating."""

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


class ShoutoutScreen(StepScreen):
    CSS_PATH = "shoutout.tcss"
    step: ClassVar[Step] = Step.SHOUTOUT
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,up", "move_focus(-1)", show=False),
        Binding("right,down", "move_focus(1)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.texts.shoutout_title), classes="title")
        with Grid(id="staff"):
            for number, name in enumerate(self.settings.staff, start=1):
                yield Button(Text(f"{printable(name)} [{number}]"), name=name, classes="person", variant="success")
        with Horizontal(classes="actions"):
            yield Button(Text(self.texts.skip), id="skip")

    def on_key(self, event: events.Key) -> None:
        staff = self.settings.staff
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(staff):
            event.stop()
            self.finish(staff[int(event.character) - 1])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("person"):
            self.finish(event.button.name)
        else:
            self.skip()
