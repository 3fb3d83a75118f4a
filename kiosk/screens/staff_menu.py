"""The staff menu: today's counts, what waits in the outbox, test mode, and exit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from kiosk.screens.focus import ArrowFocus
from kiosk.screens.timed import TimedScreen
from kiosk.today import TodayCounts
from shared.text import printable

VIEW_BUTTONS = (("view-below", "✗ fell short"), ("view-met", "✓ met"), ("view-exceeded", "★ exceeded"))


class StaffMenuScreen(ArrowFocus, TimedScreen[str]):
    """Dismisses with ``"exit"``, ``"test"`` (toggle test mode), ``"back"``, or ``"view-<outcome>"``: how
    staff think the interaction with the customer now at the counter went, kept for that customer's answer."""

    CSS_PATH = "staff_menu.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,up", "move_focus(-1)", show=False),
        Binding("right,down", "move_focus(1)", show=False),
    ]

    def __init__(
        self,
        counts: TodayCounts | None,
        *,
        pending: int,
        problem: str,
        test_mode: bool,
        timeout: float,
        clock: Callable[[], datetime],
        no_counts: str,
        waiting_view: str = "",
    ) -> None:
        super().__init__(timeout=timeout, clock=clock)
        self.counts = counts
        self.no_counts = no_counts
        self.pending = pending
        self.problem = problem
        self.test_mode = test_mode
        self.waiting_view = waiting_view

    def compose(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static("Staff menu", id="menu-title")
            if self.counts is None:
                yield Static(Text(printable(self.no_counts)), id="counts")
            else:
                c = self.counts
                yield Static(
                    f"Today: {c.answers} answers   ✗ fell short {c.below}   ✓ met {c.met}   ★ exceeded {c.exceeded}\n"
                    f"Suspect or test taps left out: {c.suspect}",
                    id="counts",
                )
            pending = f"Waiting in the outbox: {self.pending}" if self.pending else "Outbox: empty"
            yield Static(Text(pending + (f"\n{printable(self.problem)}" if self.problem else "")), id="outbox")
            yield Static(
                Text(self.waiting_view or "How did it go with the customer now at the counter? (never shown to them)"),
                id="view-note",
            )
            with Horizontal(id="view-actions"):
                for button_id, label in VIEW_BUTTONS:
                    yield Button(label, id=button_id)
            with Horizontal(id="menu-actions"):
                yield Button("Back", id="back", variant="primary")
                yield Button("Leave test mode" if self.test_mode else "Test mode", id="test", variant="warning")
                yield Button("Exit kiosk", id="exit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()
        self.start_timeout()

    def time_out(self) -> None:
        if self.is_current:
            self.dismiss("back")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "back")
