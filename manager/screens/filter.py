"""Choose which station and channel the queue shows."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Select, Static

from manager.rows import QueueFilter
from shared.text import printable


class FilterScreen(ModalScreen[QueueFilter | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar = [("escape", "cancel", "Cancel")]

    def __init__(self, current: QueueFilter, stations: list[str], channels: list[str]) -> None:
        super().__init__()
        self.current = current
        self.stations = stations
        self.channels = channels

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Show follow-ups from", classes="question")
            yield Select(
                [(Text(printable(name)), name) for name in self.stations],  # typed by people: never markup
                prompt="All stations",
                value=self.current.station or Select.NULL,
                id="station",
            )
            yield Select(
                [(name, name) for name in self.channels],
                prompt="All channels",
                value=self.current.channel or Select.NULL,
                id="channel",
            )
            with Horizontal(classes="buttons"):
                yield Button("Apply", id="apply", variant="primary")
                yield Button("Show all", id="all")
                yield Button("Cancel", id="cancel")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id == "all":
            self.dismiss(QueueFilter())
        else:
            station = self.query_one("#station", Select).value
            channel = self.query_one("#channel", Select).value
            self.dismiss(
                QueueFilter(
                    station=station if isinstance(station, str) else "",
                    channel=channel if isinstance(channel, str) else "",
                )
            )
