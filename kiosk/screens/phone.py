"""Last optional step after "fell short": a phone number for a call back, with explicit consent.

The number is validated and normalised by :func:`shared.phones.normalise_phone`
(the only place that parses numbers) and kept only when the consent box is ticked.
An on-screen keypad serves touch screens; a USB keypad or keyboard types directly.
The consent box shows ✓ when ticked and stays empty when not, whatever the colours.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Static

from kiosk.flow import Step
from kiosk.screens.step import StepScreen
from shared.phones import InvalidPhoneNumber, normalise_phone
from shared.ratings import Contact

KEYPAD = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "6": "6", "7": "7", "8": "8", "9": "9"}
KEYPAD |= {"plus": "+", "0": "0", "back": ""}  # the name of each key's button, and what it types


class TickBox(Checkbox):
    """A checkbox whose state reads without colour: ✓ when ticked, blank when not."""

    BUTTON_INNER = " "

    def watch_value(self, value: bool) -> None:
        self.BUTTON_INNER = "✓" if value else " "


class PhoneScreen(StepScreen):
    CSS_PATH = "phone.tcss"
    step: ClassVar[Step] = Step.PHONE
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move_focus(-1)", show=False),
        Binding("down", "move_focus(1)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.texts.phone_title), classes="title")
        yield Static(Text(self.texts.phone_hint), classes="hint")
        with Horizontal(id="form"):
            with Vertical(id="fields"):
                yield Input(
                    placeholder=self.texts.phone_placeholder,
                    restrict=r"[0-9+() .\-]*",
                    max_length=24,
                    id="number",
                )
                yield TickBox(Text(self.texts.phone_consent), id="consent")
                yield Static("", id="error")
                with Horizontal(classes="actions"):
                    yield Button(Text(self.texts.skip), id="skip")
                    yield Button(Text(self.texts.phone_send), id="send", variant="primary")
            with Grid(id="keypad"):
                for name, key in KEYPAD.items():
                    label = Text(key or self.texts.keypad_back)
                    button = Button(label, id=f"key-{name}", name=key, classes="key")
                    button.active_effect_duration = 0  # phone numbers repeat digits: take every tap
                    yield button

    def on_screen_resume(self) -> None:
        """Nothing of the previous customer's number stays on screen."""
        number = self.query_one("#number", Input)
        number.value = ""
        number.focus()
        self.query_one("#consent", TickBox).value = False
        self.query_one("#error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.send()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        number = self.query_one("#number", Input)
        if event.button.has_class("key"):
            key = event.button.name or ""
            number.value = number.value + key if key else number.value[:-1]
            number.cursor_position = len(number.value)
        elif event.button.id == "send":
            self.send()
        elif event.button.id == "skip":
            self.skip()

    def send(self) -> None:
        """Keep the number only if it is valid and the customer agreed; otherwise say what is missing."""
        error = self.query_one("#error", Static)
        text = self.query_one("#number", Input).value.strip()
        try:
            phone = normalise_phone(text, self.settings.phone_region)
        except InvalidPhoneNumber:
            error.update(Text(self.texts.phone_invalid))
            return
        if not self.query_one("#consent", TickBox).value:
            error.update(Text(self.texts.phone_needs_consent))
            return
        self.finish(Contact(phone, consent=True))
