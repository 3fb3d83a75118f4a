"""Hot-spot alerts: text the managers when answers at one station fall short within minutes (and, if asked,
when a station has a great streak). The window logic is :mod:`shared.hot_spots`; the store keeps which
alerts were sent, so a restart or a second server sends each once, and the console shows them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from shared.door import Topic
from shared.hot_spots import Answer, AnswerWindow, Spot, SpotKind, WindowRule, spots
from shared.phones import mask_phone
from shared.ratings import Rating
from shared.reasons import reason_label
from shared.store import FeedbackStore, WindowMark, utc_now
from shared.text import printable
from sms import watching
from sms.alerts import _gsm7
from sms.sender import Sender, SendFailed
from sms.settings import SmsConfig

log = logging.getLogger("sms.hot_spots")


def spot_text(settings: SmsConfig, spot: Spot) -> str:
    """The managers' text: station, count, share and the top reason (the shop's label)."""
    reason = reason_label(spot.top_reason, settings.reasons) if spot.top_reason else "none given"
    return settings.text(
        str(spot.kind),
        station=_gsm7(printable(spot.station)) or "(no station)",
        below=str(spot.below),
        answers=str(spot.answers),
        minutes=f"{spot.window.total_seconds() / 60:g}",
        share=f"{spot.share * 100:.0f}%",
        reason=_gsm7(printable(reason)),
    )


class SpotAlerter:
    """Looks at the last window of answers after new answers; alerts each station once per window.

    Keeps the window in memory between looks and reads only the answers recorded or changed since the
    last (the store reads it all anew when it cannot tell: a restart, a restore, a new day's file folded).
    """

    def __init__(
        self, settings: SmsConfig, store: FeedbackStore, sender: Sender, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.settings = settings
        self.store = store
        self.sender = sender
        self.clock = clock
        self.window = AnswerWindow()
        self._mark: WindowMark | None = None
        self._start: datetime | None = None  # where the window began at the last look

    @property
    def rules(self) -> list[WindowRule]:
        return [rule for rule in (self.settings.hot_spot, self.settings.great_streak) if rule is not None]

    def run_once(self) -> list[Spot]:
        """Keep and send the alerts due now; return them (kept even when no manager is configured: the
        console shows them)."""
        rules = self.rules
        if not rules:
            return []
        now = self.clock()
        start = now - max(rule.window for rule in rules)
        if self._start is not None and start < self._start:
            self._mark = None  # the clock went back: what was dropped is in the window again
        changed = self.store.ratings_changed(self._mark, start, now=now)
        self.window.apply({r.id: _answer(r) for r in changed.items}, changed.gone, anew=changed.complete)
        self.window.drop_until(start)
        self._mark, self._start = changed.mark, start
        answers = self.window.answers()
        kept = [spot for rule in rules for spot in spots(answers, rule, now) if self.store.record_spot(spot)]
        for spot in kept:
            self._send(spot)
        return kept

    def _send(self, spot: Spot) -> None:
        body = spot_text(self.settings, spot)
        delivered = 0
        for recipient in self.settings.managers:
            try:
                self.sender.send(recipient, body)
                delivered += 1
            except SendFailed as error:
                log.warning("%s alert to %s failed: %s", spot.kind, mask_phone(recipient), error)
        what = "hot spot" if spot.kind is SpotKind.HOT_SPOT else "great streak"
        log.info("%s at %s: %d of %d; texted %d manager(s)", what, spot.station, spot.below, spot.answers, delivered)

    def start(self, poll: float = 0.25) -> tuple[threading.Thread, threading.Event]:
        return watching.start(
            lambda stop: watching.watch(
                self.store, {Topic.RATINGS}, self.run_once, stop, poll=poll, gap=watching.LEAST_GAP, name="hot spots"
            ),
            "sms-hot-spots",
        )


def _answer(rating: Rating) -> Answer | None:
    """What the window counts of a rating: nothing of a suspect tap (a burst)."""
    return None if rating.suspect else Answer(rating.ts, rating.station, rating.outcome.is_unmet, rating.reasons)
