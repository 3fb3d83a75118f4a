"""The staff menu: today's counts, what waits in the outbox, test mode, and exit."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.today import TodayCounts


class StaffMenuScreen(Screen[str]):
    """Dismisses with ``"exit"``, ``"test"`` (toggle test mode) or ``"back"``."""

    CSS_PATH = "staff_menu.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,up", "app.focus_previous", show=False),
        Binding("right,down", "app.focus_next", show=False),
    ]

    def __init__(
        self,
        counts: TodayCounts | None,
        *,
        pending: int,
        problem: str,
        test_mode: bool,
        timeout: float,
        no_counts: str,
    ) -> None:
        super().__init__()
        self.counts = counts
        self.no_counts = no_counts
        self.pending = pending
        self.problem = problem
        self.test_mode = test_mode
        self.timeout = timeout

    def compose(self) -> ComposeResult:
        with Vertical(id="card"):
            yield Static("Staff menu", id="menu-title")
            if self.counts is None:
                yield Static(self.no_counts, id="counts")
            else:
                c = self.counts
                yield Static(
                    f"Today: {c.answers} answers   ✗ fell short {c.below}   ✓ met {c.met}   ★ exceeded {c.exceeded}\n"
                    f"Suspect or test taps left out: {c.suspect}",
                    id="counts",
                )
            pending = f"Waiting in the outbox: {self.pending}" if self.pending else "Outbox: empty"
            yield Static(pending + (f"\n{self.problem}" if self.problem else ""), id="outbox")
            with Horizontal(id="menu-actions"):
                yield Button("Back", id="back", variant="primary")
                yield Button("Leave test mode" if self.test_mode else "Test mode", id="test", variant="warning")
                yield Button("Exit kiosk", id="exit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()
        self.set_timer(self.timeout, self._time_out)

    def _time_out(self) -> None:
        if self.is_current:
            self.dismiss("back")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "back")
