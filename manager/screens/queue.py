"""The live queue: what just came in, what is getting late, and who is on it.

Watches the app's ``queue`` (repaints the table when it changes) and ``now`` (updates only
the ages and times left). Every action goes straight to the store; the change feed then
brings the result back, to this console and to every other one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from manager.audit import record_reveal
from manager.rows import (
    COLUMNS,
    QueueFilter,
    details,
    recently_resolved,
    static_cells,
    ticking_cells,
    visible,
)
from manager.screens.confirm import ConfirmScreen
from manager.screens.filter import FilterScreen
from manager.screens.resolve import ResolveChoice, ResolveScreen
from manager.words import Urgency
from shared.followups import AlreadyClaimed, FollowUp, FollowUpError
from shared.phones import mask_phone
from shared.ratings import Channel
from shared.storage import StoreError

if TYPE_CHECKING:
    from manager.app import ManagerApp

URGENCY_STYLES = {Urgency.CALM: "green", Urgency.SOON: "bold yellow", Urgency.LATE: "bold red"}
WAITING_STYLE = "bold magenta"
RESOLVED_WINDOW = timedelta(days=1)


class QueueScreen(Screen[None]):
    CSS_PATH = "queue.tcss"
    BINDINGS: ClassVar = [
        Binding("c", "claim", "Claim"),
        Binding("v", "reveal", "Phone"),
        Binding("r", "resolve", "Resolve"),
        Binding("o", "reopen", "Reopen"),
        Binding("f", "filter", "Filter"),
        Binding("h", "toggle_resolved", "Resolved"),
        Binding("s", "app.show_stats", "Stats"),
        Binding("q", "app.quit", "Quit"),
    ]

    queue_filter: reactive[QueueFilter] = reactive(QueueFilter)
    show_resolved: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[str, FollowUp] = {}
        self._order: list[str] = []
        self._shown: dict[tuple[str, str], str] = {}
        self._resolved: list[FollowUp] = []
        self._revealed: set[str] = set()
        self._ready = False

    @property
    def manager_app(self) -> ManagerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static(id="details")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self._ready = True
        self.watch(self.app, "queue", self._queue_changed)
        self.watch(self.app, "now", self._time_passed, init=False)

    # -- painting -------------------------------------------------------------------

    def _queue_changed(self) -> None:
        if self.show_resolved:
            self._load_resolved()
        self.repaint()

    def watch_queue_filter(self) -> None:
        if self.show_resolved:
            self._load_resolved()
        self.repaint()

    def watch_show_resolved(self) -> None:
        if self.show_resolved:
            self._load_resolved()
        self.repaint()

    def _load_resolved(self) -> None:
        app = self.manager_app
        since = (app.now - RESOLVED_WINDOW).date()
        self._resolved = recently_resolved(f for f in app.store.followups(since) if self.queue_filter.matches(f))

    def _current(self) -> list[FollowUp]:
        now = self.manager_app.now
        if self.show_resolved:
            return self._resolved
        return visible(self.manager_app.queue, self.queue_filter, now)

    def repaint(self) -> None:
        """Rebuild the table from the current follow-ups, keeping the cursor on the same one."""
        if not self._ready:
            return
        table = self.query_one(DataTable)
        selected = self.selected()
        items = self._current()
        now = self.manager_app.now
        self._items = {followup.id: followup for followup in items}
        self._order = [followup.id for followup in items]
        self._shown = {}
        rows = []
        for followup in items:
            cells = static_cells(followup, revealed=followup.id in self._revealed)
            for key, (text, level) in ticking_cells(followup, now).items():
                self._shown[followup.id, key] = text
                cells[key] = Text(text, style=URGENCY_STYLES.get(level, "")) if level else text  # type: ignore[assignment]
            if followup.customer_waiting:
                cells["wait"] = Text(cells["wait"], style=WAITING_STYLE)  # type: ignore[assignment]
            rows.append([cells[key] for key, _ in COLUMNS])
        table.clear()
        for followup_id, row in zip(self._order, rows, strict=True):
            table.add_row(*row, key=followup_id)
        if selected is not None and selected.id in self._items:
            table.move_cursor(row=self._order.index(selected.id), animate=False)
        self._paint_summary()
        self._paint_details()

    def _time_passed(self) -> None:
        """Every second: re-sort if urgency changed the order, else update only the cells that changed."""
        if self.show_resolved:
            return
        items = self._current()
        if [followup.id for followup in items] != self._order:
            self.repaint()
            return
        table = self.query_one(DataTable)
        now = self.manager_app.now
        for followup in items:
            for key, (text, level) in ticking_cells(followup, now).items():
                if self._shown.get((followup.id, key)) != text:
                    self._shown[followup.id, key] = text
                    cell = Text(text, style=URGENCY_STYLES.get(level, "")) if level else text
                    table.update_cell(followup.id, key, cell)
        self._paint_summary()
        self._paint_details()

    def _paint_summary(self) -> None:
        app = self.manager_app
        if self.show_resolved:
            text = f"Resolved in the last day: {len(self._resolved)} · o reopens · h back to the queue"
        else:
            queue = [f for f in app.queue if self.queue_filter.matches(f)]
            overdue = sum(f.is_overdue(app.now) for f in queue)
            waiting = sum(f.customer_waiting for f in queue)
            claimed = sum(bool(f.claimed_by) for f in queue)
            text = f"{len(queue)} open · {overdue} overdue · {waiting} waiting · {claimed} claimed"
        text += f" · showing {self.queue_filter.describe()} · you: {app.manager or '?'}"
        self.query_one("#summary", Static).update(text)

    def _paint_details(self) -> None:
        followup = self.selected()
        panel = self.query_one("#details", Static)
        if followup is None:
            panel.update("Nothing to follow up. New flags appear here on their own.")
        else:
            panel.update("\n".join(details(followup, self.manager_app.now, revealed=followup.id in self._revealed)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._paint_details()

    # -- actions --------------------------------------------------------------------

    def selected(self) -> FollowUp | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        return self._items.get(str(row_key.value))

    def _act(self, what: str, change: Callable[[], FollowUp]) -> FollowUp | None:
        """Run a store change; say what went wrong in words, and show the result at once."""
        try:
            result = change()
        except AlreadyClaimed as error:
            self.notify(f"{error.claimed_by} claimed it first.", title=f"Could not {what}", severity="warning")
            result = None
        except (FollowUpError, StoreError) as error:
            self.notify(str(error), title=f"Could not {what}", severity="error")
            result = None
        self.manager_app.reload_queue()
        return result

    def action_claim(self) -> None:
        followup = self.selected()
        if followup is None or self.show_resolved:
            return
        app = self.manager_app
        if self._act("claim", lambda: app.store.claim(followup.id, app.manager, now=app.clock())):
            self.notify("Claimed: it is yours now.", timeout=3)

    def action_reveal(self) -> None:
        followup = self.selected()
        if followup is None:
            return
        if followup.contact is None:
            self.notify("This customer left no phone number.", severity="warning")
            return
        question = (
            f"Show the full phone number for {mask_phone(followup.contact.phone)}?\n"
            "Your name and the time are recorded."
        )
        self.app.push_screen(ConfirmScreen(question, yes="Show"), callback=lambda yes: self._reveal(followup, yes))

    def _reveal(self, followup: FollowUp, confirmed: bool | None) -> None:
        if not confirmed:
            return
        app = self.manager_app
        try:
            record_reveal(app.store, followup.id, by=app.manager, now=app.clock())
        except StoreError as error:
            self.notify(str(error), title="Could not record the reveal; the number stays hidden", severity="error")
            return
        self._revealed.add(followup.id)
        self.repaint()

    def action_resolve(self) -> None:
        followup = self.selected()
        if followup is None or self.show_resolved:
            return
        summary = " · ".join(part for part in (followup.station, ", ".join(followup.reasons)) if part)
        self.app.push_screen(
            ResolveScreen(summary or str(followup.channel)), callback=lambda choice: self._resolve(followup, choice)
        )

    def _resolve(self, followup: FollowUp, choice: ResolveChoice | None) -> None:
        if choice is None:
            return
        app = self.manager_app
        done = self._act(
            "resolve",
            lambda: app.store.resolve(
                followup.id, choice.resolution, by=app.manager, note=choice.note, now=app.clock()
            ),
        )
        if done:
            self.notify(f"Resolved: {str(choice.resolution).replace('_', ' ')}.", timeout=3)

    def action_reopen(self) -> None:
        followup = self.selected()
        if followup is None:
            return
        if followup.is_active and not followup.claimed_by:
            self.notify("It is already open.", timeout=3)
            return
        app = self.manager_app
        if self._act("reopen", lambda: app.store.reopen(followup.id, now=app.clock())):
            self.notify("Reopened: back in the queue, due anew.", timeout=3)

    def action_filter(self) -> None:
        everything = [*self.manager_app.queue, *self._resolved]
        stations = sorted({f.station for f in everything if f.station} | {self.queue_filter.station} - {""})
        channels = [str(channel) for channel in Channel]
        self.app.push_screen(FilterScreen(self.queue_filter, stations, channels), callback=self._set_filter)

    def _set_filter(self, chosen: QueueFilter | None) -> None:
        if chosen is not None:
            self.queue_filter = chosen

    def action_toggle_resolved(self) -> None:
        self.show_resolved = not self.show_resolved
