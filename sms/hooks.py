"""The hooks' worker: finds new events in the store, keeps one delivery per event and endpoint in the
store's outbox, and POSTs them, retrying with exponential backoff, from a background thread of the server.

Nothing waits for it: a customer's text or tap only writes to the store; this thread reads the
store's change feed afterwards. A delivery is marked delivered only after a 2xx answer, and is
kept in the store until then, so a restart (or a crash) resends what was not confirmed: at least
once, never silently lost; receivers drop repeats by ``X-Feedback-Delivery``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import requests

from shared.door import Topic
from shared.followups import FollowUp
from shared.hooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Event,
    HookSettings,
    body,
    delivery_key,
    fell_short_event,
    hot_spot_event,
    resolved_event,
    signature,
)
from shared.hot_spots import SpotKind
from shared.storage import StoreError
from shared.store import FeedbackStore, utc_now
from sms import watching

log = logging.getLogger("sms.hooks")

# Events are looked for since the last look, less this much: a change written just as the last
# look read the store is seen the next time (the outbox never queues an event twice).
OVERLAP = timedelta(minutes=2)
EVENT_TOPICS = frozenset({Topic.QUEUE, Topic.FOLLOWUPS})  # new flags, hot spots kept, follow-ups resolved


class HookWorker:
    """:meth:`collect` turns changes into deliveries; :meth:`deliver_due` sends what is due."""

    def __init__(
        self,
        settings: HookSettings,
        store: FeedbackStore,
        *,
        business: str = "",
        labels: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utc_now,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.business = business
        self.labels = labels or {}
        self.clock = clock
        self.session = session or requests.Session()
        self._looked_at: int | None = None  # the store's revision at the last look for events

    def collect(self) -> int:
        """Queue a delivery for each new event and endpoint that wants it; return how many were new.

        The first look only notes the time: events from before hooks were configured are not sent.
        """
        if not self.settings.endpoints:
            return 0
        now = self.clock()
        cursor = self.store.hook_cursor()
        if cursor is None:
            self.store.set_hook_cursor({"since": now.isoformat(), "start": now.isoformat()})
            return 0
        start = datetime.fromisoformat(cursor.get("start", cursor["since"]))
        since = max(datetime.fromisoformat(cursor["since"]) - OVERLAP, start)
        events: list[Event | None] = []
        for followup in self.store.open_followups():
            if followup.flagged_at > since:
                events.append(fell_short_event(followup, self.labels))
        for followup in self.store.resolved_since(since):
            events += self._resolved(followup, since)
        for spot in self.store.spots_since(since):
            if spot.kind is SpotKind.HOT_SPOT:
                events.append(hot_spot_event(spot, self.labels))
        deliveries = {
            delivery_key(event, endpoint): {
                "event": event.to_record(),
                "endpoint": endpoint.key,
                "attempts": 0,
                "next_at": now.isoformat(),
                "queued_at": now.isoformat(),
            }
            for event in events
            if event is not None
            for endpoint in self.settings.endpoints
            if event.type in endpoint.events
        }
        new = self.store.enqueue_deliveries(deliveries) if deliveries else 0
        self.store.set_hook_cursor({"since": now.isoformat(), "start": start.isoformat()})
        return new

    def _resolved(self, followup: FollowUp, since: datetime) -> list[Event | None]:
        """A follow-up opened and resolved between two looks was never seen open: its flag goes first."""
        flagged = fell_short_event(followup, self.labels) if followup.flagged_at > since else None
        return [flagged, resolved_event(followup, self.labels)]

    def deliver_due(self) -> int:
        """POST every delivery that is due; return how many were confirmed (2xx)."""
        endpoints = {endpoint.key: endpoint for endpoint in self.settings.endpoints}
        confirmed = 0
        for key, delivery in self.store.due_deliveries(self.clock()):
            endpoint = endpoints.get(delivery["endpoint"])
            event = Event.from_record(delivery["event"])
            if endpoint is None:  # taken out of the configuration since: nobody to tell
                self.store.update_delivery(key, {"settled_at": self.clock().isoformat(), "outcome": "dropped"})
                continue
            raw = body(event, endpoint.format, self.business)
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(self.settings.secret, raw),
                DELIVERY_HEADER: key,
                EVENT_HEADER: str(event.type),
                "User-Agent": "feedback-hooks",
            }
            error = self._post(endpoint.url, raw, headers)
            now = self.clock()
            attempts = int(delivery["attempts"]) + 1
            if error is None:
                self.store.update_delivery(
                    key, {"settled_at": now.isoformat(), "outcome": "delivered", "attempts": attempts}
                )
                confirmed += 1
                continue
            retry = self.settings.retry_at(attempts, now)
            if retry is None:
                log.error(
                    "hook %s to endpoint %s: gave up after %d tries: %s", event.type, endpoint.key, attempts, error
                )
                self.store.update_delivery(
                    key, {"settled_at": now.isoformat(), "outcome": "gave_up", "attempts": attempts, "error": error}
                )
            else:
                log.warning(
                    "hook %s to endpoint %s failed (%s); try %d at %s",
                    event.type,
                    endpoint.key,
                    error,
                    attempts + 1,
                    retry.isoformat(timespec="seconds"),
                )
                self.store.update_delivery(key, {"attempts": attempts, "next_at": retry.isoformat(), "error": error})
        return confirmed

    def _post(self, url: str, raw: bytes, headers: dict[str, str]) -> str | None:
        """None when the endpoint confirmed; else why not, in a few words (never the URL: it may hold a token)."""
        try:
            response = self.session.post(
                url, data=raw, headers=headers, timeout=self.settings.timeout_seconds, allow_redirects=False
            )
        except requests.RequestException as error:
            return type(error).__name__
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def run_once(self) -> int:
        """Look for events when the store changed since the last look, then send what is due (retries too)."""
        revision = self.store.revision()  # read first: a change while looking is looked at next time
        looked = self._looked_at
        if looked is None or (revision != looked and self.store.changes_since(looked) & EVENT_TOPICS):
            self.collect()  # its own writes (the outbox, the cursor) are the channel's: they start no look
        self._looked_at = revision
        return self.deliver_due()

    def start(self, poll: float = 0.25, every: float = 1.0) -> tuple[threading.Thread, threading.Event]:
        """Look after each change of the queue, the archive or the alerts kept, and every second (retries).

        The first look is taken here, before the server answers anyone: a flag that comes after
        the start is never taken for one from before hooks were configured.
        """
        try:
            self.collect()
        except StoreError as error:
            log.error("hooks: the first look failed (tried again in the background): %s", error)

        def loop(stop: threading.Event) -> None:
            watching.watch(self.store, EVENT_TOPICS, self.run_once, stop, poll=poll, every=every, name="hooks")

        return watching.start(loop, "sms-hooks")
