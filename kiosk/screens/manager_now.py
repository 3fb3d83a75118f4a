"""After the reasons: would the customer like a manager to come over now?"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from kiosk.flow import Step
from kiosk.screens.step import StepScreen


class ManagerNowScreen(StepScreen):
    """Yes marks the follow-up "customer waiting at the counter"; no or skip moves on."""

    CSS_PATH = "manager_now.tcss"
    step: ClassVar[Step] = Step.MANAGER_NOW
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,y", "answer(True)", show=False),
        Binding("2,n", "answer(False)", show=False),
        Binding("left,up", "app.focus_previous", show=False),
        Binding("right,down", "app.focus_next", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.texts.manager_title, classes="title")
        with Horizontal(id="answers"):
            yield Button(f"{self.texts.manager_yes} [1]", id="yes", variant="warning")
            yield Button(f"{self.texts.manager_no} [2]", id="no", variant="primary")

    def on_screen_resume(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, wants_manager: bool) -> None:
        self.finish(wants_manager)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.finish(event.button.id == "yes")
