"""Choose which of what customers wrote the statistics list: one station, one reason, one outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Select, Static

from shared.followups import FollowUpKind
from shared.reasons import reason_label
from shared.text import printable
from shared.written import Filter

OUTCOMES = {FollowUpKind.FELL_SHORT: "Fell short", FollowUpKind.TO_READ: "Texts to read (no answer)"}


class WroteFilterScreen(ModalScreen[Filter | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar = [("escape", "cancel", "Cancel")]

    def __init__(self, current: Filter, stations: list[str], reasons: list[str], labels: Mapping[str, str]) -> None:
        super().__init__()
        self.current = current
        self.stations = stations
        self.reasons = reasons
        self.labels = labels

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Show what customers wrote about", classes="question")
            yield Select(
                [(Text(printable(name)), name) for name in self.stations],  # typed by people: never markup
                prompt="All stations",
                value=self.current.station if self.current.station is not None else Select.NULL,
                id="station",
            )
            yield Select(
                [(Text(printable(reason_label(key, self.labels))), key) for key in self.reasons],
                prompt="All reasons",
                value=self.current.reason if self.current.reason is not None else Select.NULL,
                id="reason",
            )
            yield Select(
                [(words, str(kind)) for kind, words in OUTCOMES.items()],
                prompt="All outcomes",
                value=str(self.current.kind) if self.current.kind is not None else Select.NULL,
                id="outcome",
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
            self.dismiss(Filter())
        else:
            station, reason, outcome = (
                self.query_one(f"#{name}", Select).value for name in ("station", "reason", "outcome")
            )
            self.dismiss(
                Filter(
                    station=station if isinstance(station, str) else None,
                    reason=reason if isinstance(reason, str) else None,
                    kind=FollowUpKind(outcome) if isinstance(outcome, str) else None,
                )
            )
