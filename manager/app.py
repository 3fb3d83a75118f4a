"""The managers' console: a live follow-up queue and the statistics screen.

The app owns the store and the two things every screen watches: ``queue`` (the open and
claimed follow-ups, reloaded only when the store's change feed says the queue moved)
and ``now`` (advanced every second, so ages tick without a key press). Overdue items are
escalated once from here, whichever screen is showing.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

from manager.remote import RemoteSettings, RemoteStore
from manager.screens.name import NameScreen
from manager.screens.queue import QueueScreen
from manager.screens.stats import StatsScreen
from manager.settings import ManagerSettings
from manager.spots import spot_words
from shared.config import Config
from shared.door import ConsoleDoor, SpotsDoor, Topic
from shared.escalation import due_for_escalation, escalate_if_overdue
from shared.followups import FollowUp
from shared.hot_spots import Spot, SpotKind
from shared.storage import StoreError
from shared.store import FeedbackStore, utc_now
from shared.text import printable

SPOTS_SHOWN = timedelta(hours=1)
GC_THRESHOLD = 50_000  # allocations between young collections (Python default: 700)


class ManagerApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Follow-ups"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (120, "-wide"), (160, "-widest")]
    MODES: ClassVar = {"queue": QueueScreen, "stats": StatsScreen}
    BINDINGS: ClassVar = [Binding("ctrl+q", "quit", "Quit", show=False)]

    queue: reactive[tuple[FollowUp, ...]] = reactive(())
    now: reactive[datetime] = reactive(datetime(1970, 1, 1, tzinfo=UTC))
    revision: reactive[int] = reactive(-1)
    spots: reactive[tuple[Spot, ...]] = reactive(())  # hot spots and great streaks of the last hour

    def __init__(
        self,
        config: Config,
        *,
        name: str = "",
        clock: Callable[[], datetime] = utc_now,
        poll_seconds: float | None = None,
        tick_seconds: float = 1.0,
        remote: RemoteSettings | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.manager = name
        self.clock = clock
        self.store: ConsoleDoor  # one code path: this machine's store or the server's, through the same door
        if remote is not None:  # the server's store, through the sync API
            self.store = RemoteStore(remote, clock=clock)
        else:
            self.store = FeedbackStore(
                config.data_dir,
                followup_target=config.followup_target,
                lock_timeout=config.lock_timeout,
                clock=clock,
                limits=config.limits,
            )
        settings = ManagerSettings.from_config(config)
        self.poll_seconds = poll_seconds or settings.poll_seconds
        self.tick_seconds = tick_seconds
        self.escalate_overdue = settings.escalate_overdue
        self.reasons = settings.reasons
        self.announced: list[str] = []
        self._seen: set[str] | None = None
        self._escalated: set[tuple[str, datetime]] = set()
        self._last_problem = ""
        self._spots_loaded = False  # the spots already kept at start are shown, not rung for

    def on_mount(self) -> None:
        # A long-lived console holds thousands of widgets and rows: move what exists at start out of
        # the collector's way and collect less often, so a full collection does not land mid-repaint.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        self.now = self.clock()
        self.poll_store()
        self.switch_mode("queue")
        self.set_interval(self.poll_seconds, self.poll_store)
        self.set_interval(self.tick_seconds, self.tick)
        if not self.manager:
            self.push_screen(NameScreen(), callback=self._set_name)

    def _set_name(self, name: str | None) -> None:
        self.manager = name or ""
        self.sub_title = self.manager

    # -- the change feed ------------------------------------------------------------

    def poll_store(self) -> None:
        """Cheap: one tiny file read; the queue itself is reloaded only when it changed."""
        try:
            current = self.store.revision()
            if current == self.revision:
                return
            queue_moved = self.revision < 0 or Topic.QUEUE in self.store.changes_since(self.revision)
        except StoreError as error:
            self.report_problem("Store problem", error)
            return
        if queue_moved and not self.reload_queue():
            return  # try again at the next poll
        self.revision = current

    def report_problem(self, title: str, error: Exception) -> None:
        """Say what went wrong, once per distinct problem rather than at every poll."""
        if str(error) != self._last_problem:
            self._last_problem = str(error)
            self.notify(printable(str(error)), title=title, severity="error", timeout=10, markup=False)

    def reload_queue(self) -> bool:
        """Read the queue again; on a store problem say so, keep the last queue on screen, return False."""
        try:
            followups = tuple(self.store.open_followups())
        except StoreError as error:
            self.report_problem("Could not read the queue", error)
            return False
        self._last_problem = ""
        ids = {followup.id for followup in followups}
        if self._seen is not None:
            fresh = [f for f in followups if f.id not in self._seen]
            for followup in fresh:
                self.announce(followup)
            self._seen |= ids
        else:
            self._seen = set(ids)
        self.now = self.clock()
        self.queue = followups
        self.reload_spots()
        return True

    def reload_spots(self) -> None:
        """The hot spots kept in the last hour (a store that keeps none, such as a remote one, has none)."""
        if not isinstance(self.store, SpotsDoor):
            return
        try:
            spots = tuple(self.store.spots_since(self.clock() - SPOTS_SHOWN))
        except StoreError as error:
            self.report_problem("Could not read the hot spots", error)
            return
        if self._spots_loaded and (fresh := [spot for spot in spots if spot not in self.spots]):
            for spot in fresh:
                self.bell()
                severity = "error" if spot.kind is SpotKind.HOT_SPOT else "information"
                self.notify(spot_words(spot, self.reasons), title="Alert", severity=severity, timeout=15, markup=False)
        self.spots = spots
        self._spots_loaded = True

    def reveal(self, followup_id: str) -> None:
        """Record that this manager sees the full number (the store records it before answering)."""
        self.store.reveal(followup_id, by=self.manager, now=self.clock())
        self.reload_queue()  # a remote console's queue now carries the number in place of its stand-in

    def announce(self, followup: FollowUp) -> None:
        """A new flag: ring and say where it came from."""
        self.announced.append(followup.id)
        self.bell()
        where = printable(
            " · ".join(part for part in (str(followup.channel), followup.station, followup.staff) if part)
        )
        waiting = " — customer waiting at the counter" if followup.customer_waiting else ""
        self.notify(
            f"{followup.ref} · {where}{waiting}", title="New: fell short", severity="warning", timeout=8, markup=False
        )

    # -- time passing ---------------------------------------------------------------

    def tick(self) -> None:
        self.now = self.clock()
        if self.escalate_overdue:
            self.escalate_due()

    def escalate_due(self) -> None:
        marked = False
        for followup in due_for_escalation(self.queue, self.now):
            attempt = (followup.id, followup.due)  # a reopened item is due anew, and may escalate again
            if attempt in self._escalated:
                continue
            self._escalated.add(attempt)
            try:
                marked = escalate_if_overdue(self.store, followup.id, now=self.now) is not None or marked
            except StoreError as error:
                self.report_problem("Could not escalate", error)
        if marked:
            self.reload_queue()

    # -- navigation -----------------------------------------------------------------

    def action_show_stats(self) -> None:
        self.switch_mode("stats")

    def action_show_queue(self) -> None:
        self.switch_mode("queue")
