"""Statistics for today or the last 7 days: how often the team meets expectations, how fast it closes the loop.

Figures come from :func:`manager.report.gather` (hourly summaries and follow-ups, never the
ratings); they are recomputed when the store changes, at most every few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from manager.loop_report import console_view
from manager.report import breakdowns, gather, group_rows, headline, reasons_by_label
from manager.report_trends import TrendOptions, wrote_table
from manager.screens.wrote_filter import WroteFilterScreen
from manager.widgets.day_chart import DayChart
from manager.widgets.hour_chart import HourChart
from shared.stats import Stats, local_days
from shared.storage import StoreError
from shared.text import printable
from shared.written import Filter

if TYPE_CHECKING:
    from manager.app import ManagerApp

PERIODS = {"today": "Today", "7d": "Last 7 days"}
OTHER = {"today": "7d", "7d": "today"}
MIN_SECONDS_BETWEEN_UPDATES = 2.0
WROTE_SHOWN = 20  # the newest of what customers wrote; the report lists more


class StatsScreen(Screen[None]):
    CSS_PATH = "stats.tcss"
    BINDINGS: ClassVar = [
        Binding("t", "toggle_period", "Today / 7 days"),
        Binding("w", "filter_wrote", "Filter what was written"),
        Binding("s,escape", "app.show_queue", "Queue"),
        Binding("q", "app.quit", "Quit"),
    ]

    period: reactive[str] = reactive("today")
    wrote_filter: reactive[Filter] = reactive(Filter)

    def __init__(self) -> None:
        super().__init__()
        self._computed_at = 0.0
        self._pending = False
        self.stats: Stats | None = None

    @property
    def manager_app(self) -> ManagerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with VerticalScroll(id="body"):
            with Horizontal(id="top"):
                yield Static(id="figures")
                with Vertical(id="chart-box"):
                    yield Static("Answers by hour", classes="heading")
                    yield HourChart(id="chart")
                with Vertical(id="day-box"):
                    yield Static("Answers by day · fell short", classes="heading")
                    yield DayChart(id="days")
            with Horizontal(id="groups"):
                yield Static(id="reasons", classes="group")
                yield Static(id="channel", classes="group")
                yield Static(id="station", classes="group")
                yield Static(id="staff", classes="group")
            yield Static(id="loop")
            yield Static(id="wrote")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self._store_changed, init=False)
        self.recompute()

    def watch_period(self) -> None:
        if self.is_mounted:
            self.recompute()

    def watch_wrote_filter(self) -> None:
        if self.is_mounted:
            self.recompute()

    def action_filter_wrote(self) -> None:
        stats = self.stats
        stations = sorted(set(stats.by_station) - {""}) if stats else []
        reasons = sorted(stats.below_by_reason) if stats else []
        screen = WroteFilterScreen(self.wrote_filter, stations, reasons, app_reasons(self))
        self.app.push_screen(screen, callback=self._set_wrote_filter)

    def _set_wrote_filter(self, chosen: Filter | None) -> None:
        if chosen is not None:
            self.wrote_filter = chosen

    def action_toggle_period(self) -> None:
        self.period = OTHER[self.period]

    def _store_changed(self) -> None:
        wait = MIN_SECONDS_BETWEEN_UPDATES - (time.monotonic() - self._computed_at)
        if wait <= 0:
            self.recompute()
        elif not self._pending:
            self._pending = True
            self.set_timer(wait, self.recompute)

    def recompute(self) -> None:
        self._pending = False
        self._computed_at = time.monotonic()
        app = self.manager_app
        now = app.clock()
        since, until = local_days(self.period, now, app.config.zone)
        try:
            self.stats = gather(
                app.store,
                since=since,
                until=until,
                zone=app.config.zone,
                now=now,
                target=app.config.followup_target,
                trends=TrendOptions(only=self.wrote_filter, limit=WROTE_SHOWN),
            )
        except StoreError as error:
            self.notify(printable(str(error)), title="Could not read the statistics", severity="error", markup=False)
            return
        self.paint(self.stats)

    def paint(self, stats: Stats) -> None:
        days = f"{stats.since:%a %d %b}" if stats.since == stats.until else f"{stats.since:%d %b} – {stats.until:%d %b}"
        self.query_one("#title", Static).update(
            f"{PERIODS[self.period]} ({days}, {stats.timezone}) · t: {PERIODS[OTHER[self.period]].lower()}"
        )
        figures = Table.grid(padding=(0, 2))
        figures.add_column()
        figures.add_column(justify="right", style="bold")
        for label, value in headline(stats):
            figures.add_row(label, value)
        self.query_one("#figures", Static).update(figures)
        self.query_one(HourChart).counts = stats.answers_by_hour
        self.query_one(DayChart).days = stats.answers_by_day
        self.query_one("#wrote", Static).update(wrote_table(stats, self.wrote_filter, app_reasons(self)))
        reasons = _table("Fell short by reason", ("count",))
        for reason, count in reasons_by_label(stats, app_reasons(self)).items():
            reasons.add_row(Text(reason), str(count))
        if not stats.below_by_reason:
            reasons.add_row("(none given)", "")
        self.query_one("#reasons", Static).update(reasons)
        for title, groups in breakdowns(stats):
            table = _table(title, ("answers", "short", "met+"))
            for name, answers, below, met in group_rows(groups):
                table.add_row(Text(name), str(answers), str(below), met)
            self.query_one(f"#{title.lower()}", Static).update(table)
        self._paint_loop(stats)

    def _paint_loop(self, stats: Stats) -> None:
        """The perception gap and the recovery rate (:mod:`manager.loop_report`), once there are any."""
        view = console_view(stats.perception, stats.recovery)
        loop = self.query_one("#loop", Static)
        loop.display = view is not None
        loop.update(view or "")


def app_reasons(screen: StatsScreen) -> Mapping[str, str]:
    return screen.manager_app.reasons


def _table(title: str, figures: tuple[str, ...]) -> Table:
    """A breakdown: headers are never cut; a long name is, with an ellipsis (the report has it whole)."""
    table = Table(box=None, padding=(0, 1), expand=True)
    table.add_column(title, no_wrap=True, overflow="ellipsis", min_width=len(title), ratio=1)
    for header in figures:
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    return table
