"""The live queue: what just came in, what is getting late, and who is on it.

Watches the app's ``queue`` (repaints the table when it changes) and ``now`` (updates only
the ages and times left). Every action goes straight to the store; the change feed then
brings the result back, to this console and to every other one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import ColumnKey

from manager.rows import (
    COLUMNS,
    RESOLVED_COLUMNS,
    QueueFilter,
    details,
    find_by_ref,
    masked,
    recently_resolved,
    static_cells,
    ticking_cells,
    visible,
)
from manager.screens.confirm import ConfirmScreen
from manager.screens.filter import FilterScreen
from manager.screens.find import FindScreen
from manager.screens.resolve import ResolveChoice, ResolveScreen
from manager.spots import spot_words
from manager.widgets.queue_table import QueueTable
from manager.words import Urgency, resolution_words
from shared.followups import AlreadyClaimed, FollowUp, FollowUpError, normalise_ref
from shared.hot_spots import Spot
from shared.ratings import Channel
from shared.reasons import reasons_text
from shared.storage import StoreError
from shared.text import printable

if TYPE_CHECKING:
    from manager.app import ManagerApp

URGENCY_STYLES = {Urgency.CALM: "green", Urgency.SOON: "bold yellow", Urgency.LATE: "bold red"}
WAITING_STYLE = "bold magenta"
RESOLVED_WINDOW = timedelta(days=1)
REVEAL_FOR = timedelta(seconds=60)  # a revealed number is masked again after this, or when the selection moves
OPENED_WITHIN = timedelta(days=30)  # the resolved list looks at follow-ups opened this recently


class RowFlag(Text):
    """A row's first cell; it carries the follow-up's id so the table can be sorted into urgency order."""

    def __init__(self, text: str, followup_id: str, *, style: str = "") -> None:
        super().__init__(text, style=style)
        self.followup_id = followup_id


class QueueScreen(Screen[None]):
    CSS_PATH = "queue.tcss"
    BINDINGS: ClassVar = [
        Binding("c", "claim", "Claim"),
        Binding("v", "reveal", "Phone"),
        Binding("r", "resolve", "Resolve"),
        Binding("o", "reopen", "Reopen"),
        Binding("f", "filter", "Filter"),
        Binding("slash,number_sign", "find", "Find #"),
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
        self._shown: dict[str, dict[str, str]] = {}
        self._static: dict[str, tuple[tuple[FollowUp, bool], dict[str, str], dict[str, Text]]] = {}
        self._resolved: list[FollowUp] = []
        self._revealed: set[str] = set()
        self._revealed_at: datetime | None = None
        self._columns = COLUMNS
        self._ready = False

    @property
    def manager_app(self) -> ManagerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield Static(id="spots")
        yield QueueTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static(id="details")
        yield Footer()

    def on_mount(self) -> None:
        self._add_columns()
        self._ready = True
        self.watch(self.app, "queue", self._queue_changed)
        self.watch(self.app, "now", self._time_passed, init=False)
        self.watch(self.app, "spots", self._spots_changed)

    # -- painting -------------------------------------------------------------------

    def _add_columns(self) -> None:
        table = self.query_one(DataTable)
        self._columns = RESOLVED_COLUMNS if self.show_resolved else COLUMNS
        for key, label in self._columns:
            table.add_column(label, key=key)

    def _spots_changed(self, spots: tuple[Spot, ...]) -> None:
        """Hot spots of the last hour, newest first, above the queue; nothing (no line) when there are none."""
        banner = self.query_one("#spots", Static)
        banner.display = bool(spots)
        reasons = self.manager_app.reasons
        banner.update(Text("\n".join(spot_words(spot, reasons) for spot in spots[:3])))

    def _queue_changed(self) -> None:
        if self.show_resolved:
            self._load_resolved()
        self.repaint()

    def watch_queue_filter(self) -> None:
        if self.show_resolved:
            self._load_resolved()
        self.repaint(full=True)

    def watch_show_resolved(self) -> None:
        if self.show_resolved:
            self._load_resolved()
        self.repaint(full=True)

    def _load_resolved(self) -> None:
        self._resolved = self._read_resolved(self.queue_filter)

    def _read_resolved(self, queue_filter: QueueFilter) -> list[FollowUp]:
        app = self.manager_app
        # Read only recent months; times are stored as UTC ISO 8601, so text compares as time.
        records = app.store.followup_records((app.now - OPENED_WITHIN).date(), app.now.date())
        cutoff = (app.now - RESOLVED_WINDOW).isoformat()
        followups = (FollowUp.from_record(r) for r in records if (r.get("resolved_at") or "") >= cutoff)
        return recently_resolved(f for f in followups if queue_filter.matches(f))

    def _current(self) -> list[FollowUp]:
        now = self.manager_app.now
        if self.show_resolved:
            return self._resolved
        return visible(self.manager_app.queue, self.queue_filter, now)

    def _cells(self, followup: FollowUp, now: datetime) -> tuple[dict[str, str], dict[str, RenderableType]]:
        """The row's plain texts (to spot changes) and the renderables the table shows.

        Every text is a :class:`Text`: a plain ``str`` would be read as markup, and stations,
        names, comments and notes are typed by people.
        """
        revealed = followup.id in self._revealed
        cached = self._static.get(followup.id)
        if cached is None or cached[0] != (followup, revealed):
            plain = static_cells(followup, self.manager_app.reasons, revealed=revealed)
            cached = ((followup, revealed), plain, {key: Text(text) for key, text in plain.items()})
            self._static[followup.id] = cached
        texts = dict(cached[1])
        cells: dict[str, RenderableType] = dict(cached[2])
        for key, (text, level) in ticking_cells(followup, now).items():
            texts[key] = text
            cells[key] = Text(text, style=URGENCY_STYLES[level] if level else "")
        cells["wait"] = RowFlag(texts["wait"], followup.id, style=WAITING_STYLE if followup.customer_waiting else "")
        return texts, cells

    def repaint(self, *, full: bool = False) -> None:
        """Bring the table in line with the follow-ups, touching only what changed.

        Rows that went are removed, new ones appended, changed cells updated, and the rows
        re-sorted only when the order differs; the cursor stays on the same follow-up.
        """
        if not self._ready:
            return
        table = self.query_one(QueueTable)
        selected = self.selected()
        items = self._current()
        now = self.manager_app.now
        if full:
            table.clear(columns=True)
            self._add_columns()
            self._shown, self._order = {}, []
        fresh = {followup.id: followup for followup in items}
        for gone in [followup_id for followup_id in self._order if followup_id not in fresh]:
            table.remove_row(gone)
            del self._shown[gone]
            self._static.pop(gone, None)
        kept = [followup_id for followup_id in self._order if followup_id in fresh]
        added, changes = [], []
        for followup in items:
            texts, cells = self._cells(followup, now)
            shown = self._shown.get(followup.id)
            if shown is None:
                table.add_row(*(cells[key] for key, _ in self._columns), key=followup.id)
                added.append(followup.id)
            else:
                for key, _ in self._columns:
                    text = texts[key]
                    if shown[key] != text:
                        grows = cell_len(text) > table.columns[ColumnKey(key)].content_width
                        changes.append((followup.id, key, cells[key], grows))
            self._shown[followup.id] = texts
        table.update_cells(changes)
        self._items = fresh
        self._order = [followup.id for followup in items]
        if kept + added != self._order:
            rank = {followup_id: index for index, followup_id in enumerate(self._order)}
            table.sort("wait", key=lambda flag: rank[flag.followup_id])
        if selected is not None and selected.id in fresh:
            table.move_cursor(row=table.get_row_index(selected.id), animate=False)
        self._paint_summary()
        self._paint_details()

    def _time_passed(self) -> None:
        """Every second: ages and times change, an item turning overdue moves up, a shown number goes."""
        if self._revealed_at is not None and self.manager_app.now - self._revealed_at >= REVEAL_FOR:
            self.hide_numbers()
        else:
            self.repaint()

    def _paint_summary(self) -> None:
        app = self.manager_app
        if self.show_resolved:
            text = f"Resolved in the last day: {len(self._resolved)} · o reopens · / finds a # · h back to the queue"
        else:
            queue = [f for f in app.queue if self.queue_filter.matches(f)]
            overdue = sum(f.is_overdue(app.now) for f in queue)
            waiting = sum(f.customer_waiting for f in queue)
            claimed = sum(bool(f.claimed_by) for f in queue)
            text = f"{len(queue)} open · {overdue} overdue · {waiting} waiting · {claimed} claimed"
        text += f" · showing {self.queue_filter.describe()} · you: {printable(app.manager) or '?'}"
        self.query_one("#summary", Static).update(Text(text))

    def _paint_details(self) -> None:
        followup = self.selected()
        panel = self.query_one("#details", Static)
        if followup is None:
            panel.update("Nothing to follow up. New flags appear here on their own.")
        else:
            revealed = followup.id in self._revealed
            lines = details(followup, self.manager_app.now, self.manager_app.reasons, revealed=revealed)
            panel.update(Text("\n".join(lines)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self._revealed and str(event.row_key.value) not in self._revealed:
            self.hide_numbers()  # the selection moved: the number is masked again
        else:
            self._paint_details()

    def on_screen_suspend(self) -> None:
        """Another screen or a dialog took over: no number stays shown behind it."""
        if self._revealed:
            self.hide_numbers()

    def hide_numbers(self) -> None:
        self._revealed_at = None
        self._revealed.clear()
        self.repaint()

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
            self.notify(
                f"{printable(error.claimed_by)} claimed it first.",
                title=f"Could not {what}",
                severity="warning",
                markup=False,
            )
            result = None
        except (FollowUpError, StoreError) as error:
            self.notify(printable(str(error)), title=f"Could not {what}", severity="error", markup=False)
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
            f"Show the full phone number for {masked(followup.contact.phone)}?\nYour name and the time are recorded."
        )
        self.app.push_screen(ConfirmScreen(question, yes="Show"), callback=lambda yes: self._reveal(followup, yes))

    def _reveal(self, followup: FollowUp, confirmed: bool | None) -> None:
        if not confirmed:
            return
        app = self.manager_app
        try:
            app.reveal(followup.id)
        except (FollowUpError, StoreError) as error:
            self.notify(
                printable(str(error)),
                title="Could not record the reveal; the number stays hidden",
                severity="error",
                markup=False,
            )
            return
        self.hide_numbers()
        self._revealed.add(followup.id)
        self._revealed_at = app.clock()
        self.repaint()

    def action_resolve(self) -> None:
        followup = self.selected()
        if followup is None or self.show_resolved:
            return
        reasons = reasons_text(followup.reasons, self.manager_app.reasons)
        summary = printable(" · ".join(part for part in (followup.ref, followup.station, reasons) if part))
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
            self.notify(f"Resolved: {resolution_words(choice.resolution)}.", timeout=3)

    def action_reopen(self) -> None:
        followup = self.selected()
        if followup is None:
            return
        if followup.is_active and not followup.claimed_by:
            self.notify("It is already open.", timeout=3)
            return
        if followup.is_active:  # claimed
            question = (
                f"Release {followup.ref}, claimed by {printable(followup.claimed_by)}?\nIt goes back to the queue."
            )
            yes = "Release"
        else:
            question = f"Reopen {followup.ref}?\nIt goes back to the queue, due anew."
            yes = "Reopen"
        self.app.push_screen(
            ConfirmScreen(question, yes=yes), callback=lambda confirmed: self._reopen(followup, confirmed)
        )

    def _reopen(self, followup: FollowUp, confirmed: bool | None) -> None:
        if not confirmed:
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

    def action_find(self) -> None:
        self.app.push_screen(FindScreen(), callback=self.find)

    def find(self, typed: str | None) -> None:
        """Select the follow-up with this short reference, in the queue or among the recently resolved.

        The filter is cleared if it hides it; when nothing matches, the view stays as it was.
        """
        if not typed:
            return
        found = find_by_ref(visible(self.manager_app.queue, QueueFilter(), self.manager_app.now), typed)
        resolved = not found
        if resolved:
            found = find_by_ref(self._read_resolved(QueueFilter()), typed)
        if not found:
            self.notify(
                f"No follow-up {printable(normalise_ref(typed))} open or resolved in the last day.", markup=False
            )
            return
        if not self.queue_filter.matches(found[0]):
            self.queue_filter = QueueFilter()
        self.show_resolved = resolved
        if resolved:
            self._load_resolved()
            self.repaint()
        table = self.query_one(DataTable)
        if found[0].id in self._items:
            table.move_cursor(row=table.get_row_index(found[0].id), animate=False)
        table.focus()
        if len(found) > 1:
            self.notify(f"{len(found)} follow-ups share {found[0].ref}: the first is selected.", markup=False)
