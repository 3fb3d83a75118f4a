"""The counter kiosk: one tap records an answer; everything after it is optional.

The app owns the visit: it records the first tap at once (through the
:class:`~kiosk.recorder.Recorder`, which falls back to the outbox), shows the
next question from :mod:`kiosk.flow`, and enriches the same rating with each
answer. Screens only report what the customer did (messages); they never write.
"""

from __future__ import annotations

import asyncio
import random
import signal
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from kiosk.burst import BurstDetector
from kiosk.flow import Step, first_step, next_step
from kiosk.outbox import Operation, Outbox, OutboxSender, StoreSender
from kiosk.pin import PinGuard
from kiosk.recorder import Recorder
from kiosk.remote import RemoteRecorder, RemoteSender, RemoteSettings
from kiosk.screens.idle import IdleScreen
from kiosk.screens.manager_now import ManagerNowScreen
from kiosk.screens.phone import PhoneScreen
from kiosk.screens.pin_entry import PinScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.shoutout import ShoutoutScreen
from kiosk.screens.staff_menu import StaffMenuScreen
from kiosk.screens.step import StepScreen
from kiosk.screens.thanks import ThanksScreen
from kiosk.screens.timed import TimedScreen
from kiosk.settings import KioskSettings, load_kiosk_settings
from kiosk.staff_view import PendingView
from kiosk.today import TodayCounts, today_counts, utc_days_of_local_day
from shared.config import Config
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.storage import StoreError
from shared.store import FeedbackStore, utc_now

TEST_MARK = {"test": "1"}
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class KioskApp(App[None]):
    """The kiosk. In kiosk mode (``[kiosk] lock = true``) customers cannot leave it by any key.

    Until a staff PIN is set (setup mode: the Quick start) the idle screen says how to leave and
    Ctrl+Q or Ctrl+C quits. SIGTERM, SIGHUP and SIGINT from outside always end it cleanly (exit 0,
    the terminal restored).
    """

    TITLE = "Feedback kiosk"
    CSS_PATH = Path(__file__).with_name("kiosk.tcss")  # absolute: a subclass elsewhere (a bench) finds it too
    ENABLE_COMMAND_PALETTE = False
    AUTO_FOCUS = None  # no screen starts with a choice focused: a stray Enter answers nothing
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f12", "staff", id="staff", show=False, priority=True),
    ]

    status_mark: reactive[str] = reactive("")

    def __init__(
        self,
        config: Config,
        *,
        station: str | None = None,
        settings: KioskSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
        sender: OutboxSender | None = None,
        retry_sender: OutboxSender | None = None,
        remote: RemoteSettings | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.settings = settings or load_kiosk_settings(config, station=station)
        self.clock = clock
        self.pin_guard = PinGuard()
        # Taps wait for the store only briefly (then the outbox); retries wait as long as other tools do.
        self.store = FeedbackStore(
            config.data_dir,
            followup_target=config.followup_target,
            lock_timeout=self.settings.write_timeout_seconds,
            clock=clock,
            limits=config.limits,
        )
        retry_store = FeedbackStore(
            config.data_dir,
            followup_target=config.followup_target,
            lock_timeout=config.lock_timeout,
            clock=clock,
            limits=config.limits,
        )
        self.outbox = Outbox(self.settings.outbox_dir)
        if sender is None:
            sender, retry_sender = StoreSender(self.store), retry_sender or StoreSender(retry_store)
        self.recorder = Recorder(sender, self.outbox, retry_sender=retry_sender)
        self.remote = remote
        if remote is not None:  # every answer goes to the outbox first, then to the server in batches
            self.recorder = RemoteRecorder(RemoteSender(remote), self.outbox)
        self.bursts = BurstDetector(self.settings.burst_limit, self.settings.burst_window)
        self.test_mode = False
        self.staff_view = PendingView(config.view_window)
        self.current: Rating | None = None
        self._visit_notes: list[str] = []
        self._retry_timer: Timer | None = None
        self._retry_delay = self.settings.retry_first_seconds
        self.idle: Screen | None = None
        self.set_keymap({"staff": self.settings.staff_key})

    @property
    def setup_mode(self) -> bool:
        """No staff PIN yet: nobody could reach the staff menu, so the keys that quit do."""
        return not self.settings.pin_hash

    # -- screens ----------------------------------------------------------------------

    async def on_mount(self) -> None:
        self._catch_stop_signals()
        self.theme = self.settings.theme
        settings, clock = self.settings, self.clock
        # Made once and shown again for every visit (see kiosk.screens.step for why).
        self.steps: dict[Step, StepScreen] = {
            Step.REASONS: ReasonsScreen(settings, clock=clock),
            Step.MANAGER_NOW: ManagerNowScreen(settings, clock=clock),
            Step.PHONE: PhoneScreen(settings, timeout=settings.phone_timeout_seconds, clock=clock),
            Step.SHOUTOUT: ShoutoutScreen(settings, clock=clock),
        }
        for step, screen in self.steps.items():
            self.install_screen(screen, name=f"step-{step}")
        self.thanks = ThanksScreen(settings.thanks_seconds)
        self.install_screen(self.thanks, name="thanks")
        # Pushed rather than the default screen, so that its own CSS_PATH is loaded; awaited, so the app
        # takes no key before the question is up (a key pressed then went to the empty default screen).
        self.idle = IdleScreen(settings, setup_mode=self.setup_mode)
        await self.push_screen(self.idle)
        self._refresh_status()
        if len(self.outbox):
            self._schedule_retry()

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)

    def _catch_stop_signals(self) -> None:
        """``kill``, ``systemctl stop``, a closed terminal: leave through Textual so the terminal is restored."""
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self.exit)

    async def on_event(self, event: events.Event) -> None:
        """Any key or tap, whichever widget takes it, keeps the current question open."""
        if isinstance(event, events.Key | events.MouseDown | events.Paste) and isinstance(self.screen, TimedScreen):
            self.screen.keep_alive()
        await super().on_event(event)

    def go_idle(self) -> None:
        """End the visit: everything above the idle screen goes."""
        self.current = None
        while len(self.screen_stack) > 2 and self.screen is not self.idle:
            self.pop_screen()

    def _show(self, screen: Screen) -> None:
        if self.screen is not self.idle:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def _show_step(self, step: Step | None) -> None:
        if step is None or self.current is None:
            self.go_idle()
        elif step is Step.THANKS:
            self.thanks.prepare(self.settings.texts.thanks, self._thanks_lines())
            self._show(self.thanks)
        else:
            screen = self.steps[step]
            screen.begin(visit=self.current.id)
            self._show(screen)

    def _thanks_lines(self) -> list[str]:
        texts = self.settings.texts
        if self.current is not None and self.current.outcome is Outcome.BELOW:
            return [texts.thanks_below, *self._visit_notes]
        return self._visit_notes or [texts.thanks_detail]

    # -- the visit --------------------------------------------------------------------

    def on_idle_screen_chosen(self, message: IdleScreen.Chosen) -> None:
        """The first tap: recorded at once, before any further question."""
        if self.screen is not self.idle:
            return  # a second tap that raced the first one's screen change
        now = self.clock()
        suspect = self.bursts.tap(now)
        rating = Rating(
            id=str(uuid.uuid4()),
            ts=now,
            channel=Channel.KIOSK,
            outcome=message.outcome,
            station=self.settings.station,
            suspect=suspect or self.test_mode,
            extra=dict(TEST_MARK) if self.test_mode else {},
        )
        rating = self.staff_view.given_to(rating, now)
        self._submit(Operation.RECORD, rating)
        self.current = rating
        self._visit_notes = []
        self._show_step(first_step(message.outcome, has_staff=bool(self.settings.staff)))

    def on_step_screen_done(self, message: StepScreen.Done) -> None:
        if self.current is None or message.visit != self.current.id or self.screen is not self.steps[message.step]:
            return  # a late report from a visit that is over
        if message.timed_out:
            self.go_idle()
            return
        rating = self._enrich(self.current, message.step, message.value)
        if rating != self.current:
            self._submit(Operation.UPDATE, rating)
            self.current = rating
        self._show_step(next_step(message.step))

    def _enrich(self, rating: Rating, step: Step, value: object) -> Rating:
        texts = self.settings.texts
        if step is Step.REASONS and isinstance(value, list) and value:
            return rating.enriched(reasons=value)
        if step is Step.MANAGER_NOW and value is True:
            self._visit_notes.append(texts.thanks_manager)
            return rating.enriched(customer_waiting=True)
        if step is Step.PHONE and isinstance(value, Contact):
            self._visit_notes.append(texts.thanks_callback)
            return rating.enriched(contact=value)
        if step is Step.SHOUTOUT and isinstance(value, str) and value:
            self._visit_notes.append(texts.thanks_shoutout.replace("{name}", value))
            return rating.enriched(shoutout=value)
        return rating

    # -- the store and the outbox --------------------------------------------------------

    def _submit(self, op: Operation, rating: Rating) -> None:
        if not self.recorder.submit(op, rating):
            self._refresh_status()
            self._schedule_retry()

    def _schedule_retry(self) -> None:
        if self._retry_timer is None:
            # Jitter, so that kiosks coming back after one outage do not all retry at once.
            self._retry_timer = self.set_timer(self._retry_delay * random.uniform(0.7, 1.0), self._retry)

    def _retry(self) -> None:
        self._retry_timer = None
        self.run_worker(self._flush_outbox, thread=True, exclusive=True, group="outbox")

    def _flush_outbox(self) -> None:
        remaining = self.recorder.flush()
        self.call_from_thread(self._after_flush, remaining)

    def _after_flush(self, remaining: int) -> None:
        if remaining:
            self._retry_delay = min(self._retry_delay * 2, self.settings.retry_max_seconds)
            self._schedule_retry()
        else:
            self._retry_delay = self.settings.retry_first_seconds
        self._refresh_status()

    def _refresh_status(self) -> None:
        """The discreet mark on the idle screen: answers waiting to be stored, and test mode."""
        marks = []
        if self.recorder.pending:
            marks.append(f"● {self.recorder.pending}")
        if self.test_mode:
            marks.append("TEST MODE")
        self.status_mark = "  ".join(marks)

    # -- kiosk lock and staff menu ------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self.settings.lock or self.setup_mode:
            await super().action_quit()

    def action_help_quit(self) -> None:
        if self.setup_mode:
            self.exit()
        elif not self.settings.lock:
            super().action_help_quit()

    def action_staff(self) -> None:
        if self.screen is not self.idle or not self.pin_guard.allows(self.clock()):
            return
        timeout = self.settings.step_timeout_seconds
        pin = PinScreen(self.settings.pin_hash, texts=self.settings.texts, timeout=timeout, clock=self.clock)
        self.push_screen(pin, self._pin_done)

    def _pin_done(self, ok: bool | None) -> None:
        if ok is False:
            self.pin_guard.failed(self.clock())
        if not ok:
            return
        self.pin_guard.succeeded()
        self.push_screen(
            StaffMenuScreen(
                self._today(),
                pending=self.recorder.pending,
                problem=str(self.recorder.last_error or self.outbox.write_error or ""),
                test_mode=self.test_mode,
                timeout=max(self.settings.step_timeout_seconds, 60.0),
                clock=self.clock,
                no_counts=self._no_counts(),
                waiting_view=self.staff_view.describe(self.clock()),
            ),
            self._menu_done,
        )

    def _menu_done(self, choice: str | None) -> None:
        if choice == "exit":
            self.exit()
        elif choice == "test":
            self.test_mode = not self.test_mode
            self._refresh_status()
        elif choice and choice.startswith("view-"):
            self.staff_view.give(Outcome(choice.removeprefix("view-")), self.clock())

    def _no_counts(self) -> str:
        """What the staff menu says when it has no counts to show."""
        if self.remote is not None:
            return f"Today's counts are kept on the server ({self.remote.server}): run `feedback report` there."
        return "Today's counts are not available: the store cannot be read."

    def _today(self) -> TodayCounts | None:
        if self.remote is not None:
            return None  # the answers live on the server
        now = self.clock()
        _, _, first, last = utc_days_of_local_day(now, self.config.zone)
        try:
            return today_counts(self.store.daily_summaries(first, last), now, self.config.zone)
        except StoreError:
            return None
