"""After the reasons: would the customer like a manager to come over now?"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from kiosk.flow import Step
from kiosk.screens.step import StepScreen


class ManagerNowScreen(StepScreen):
    """Yes marks the follow-up "customer waiting at the counter"; no or skip moves on.

    Neither is focused when the question opens: a stray Enter must not call a manager over.
    """

    CSS_PATH = "manager_now.tcss"
    step: ClassVar[Step] = Step.MANAGER_NOW
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,y", "answer(True)", show=False),
        Binding("2,n", "answer(False)", show=False),
        Binding("left,up", "move_focus(-1)", show=False),
        Binding("right,down", "move_focus(1)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.texts.manager_title), classes="title")
        with Horizontal(id="answers"):
            yield Button(Text(f"{self.texts.manager_yes} [1]"), id="yes", variant="warning")
            yield Button(Text(f"{self.texts.manager_no} [2]"), id="no", variant="primary")

    def action_answer(self, wants_manager: bool) -> None:
        self.finish(wants_manager)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.finish(event.button.id == "yes")
