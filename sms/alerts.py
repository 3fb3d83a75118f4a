"""Manager alerts: text the on-duty managers about each new fell-short follow-up, once.

The alerter watches the store's change feed, so follow-ups opened by any process (the
kiosk writes only to the store) are seen. Which follow-ups were alerted is kept in the
data directory and marked *before* sending: a restart or a second server never texts
twice (a failed send is unmarked and retried on the next change). Follow-ups older than
``[alerts] max_age_minutes`` are left to the managers' console.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from shared.followups import FollowUp
from shared.phones import mask_phone
from shared.ratings import utc
from shared.storage import StoreError
from shared.store import QUEUE, FeedbackStore, utc_now
from sms.records import SmsRecords
from sms.sender import Sender, SendFailed
from sms.settings import SmsConfig

log = logging.getLogger("sms.alerts")

NEW, ESCALATED = "new", "escalated"
QUEUE_FILE = f"{QUEUE}.json"


def alert_text(settings: SmsConfig, followup: FollowUp, kind: str) -> str:
    where = ", ".join(part for part in (followup.station, followup.staff, followup.channel) if part)
    comment = f'"{followup.comment[:60]}"' if followup.comment else ""
    template = "alert" if kind == NEW else "escalation"
    return settings.text(
        template,
        where=where,
        phone=mask_phone(followup.contact.phone) if followup.contact else "not given",
        id=followup.id,
        comment=comment,
    ).strip()


class Alerter:
    """Sends the alerts that are due; :meth:`watch` runs it whenever the store changes."""

    def __init__(
        self,
        settings: SmsConfig,
        store: FeedbackStore,
        sender: Sender,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sender = sender
        self.clock = clock

    def due(self, followups: list[FollowUp], now: datetime) -> list[tuple[FollowUp, str, tuple[str, ...]]]:
        """Pure: which (follow-up, kind, recipients) could need a text now, before checking what was sent."""
        wanted = []
        for followup in followups:
            if followup.is_to_read or utc(now) - followup.flagged_at > self.settings.alert_max_age:
                continue
            if self.settings.managers:
                wanted.append((followup, NEW, self.settings.managers))
            if followup.escalated_at is not None and self.settings.escalation_contacts:
                wanted.append((followup, ESCALATED, self.settings.escalation_contacts))
        return wanted

    def run_once(self) -> int:
        """Send every alert not sent yet; return how many texts went out."""
        now = self.clock()
        wanted = self.due(self.store.open_followups(), now)
        if not wanted:
            return 0
        claimed = []
        with self.store.transaction() as tx, SmsRecords(tx) as records:
            for followup, kind, recipients in wanted:
                if not records.alerted(followup.id, followup.flagged_at, kind):
                    records.mark_alerted(followup.id, followup.flagged_at, kind, now)
                    claimed.append((followup, kind, recipients))
        sent = 0
        for followup, kind, recipients in claimed:
            body = alert_text(self.settings, followup, kind)
            delivered = 0
            for recipient in recipients:
                try:
                    self.sender.send(recipient, body)
                    delivered += 1
                except SendFailed as error:
                    log.warning("alert for %s to %s failed: %s", followup.id, mask_phone(recipient), error)
            if not delivered:
                # Nobody got it: unmark so that the next change retries.
                with self.store.transaction() as tx:
                    SmsRecords(tx).unmark_alerted(followup.id, followup.flagged_at, kind)
            log.info("%s alert for %s sent to %d of %d", kind, followup.id, delivered, len(recipients))
            sent += delivered
        return sent

    def watch(self, stop: threading.Event, poll: float = 0.25) -> None:
        """Run until ``stop`` is set, checking after every change of the store."""
        seen: int | None = None
        while not stop.is_set():
            try:
                revision = self.store.revision()
                if revision != seen:
                    changed = None if seen is None else self.store.changed_files(seen)
                    seen = revision
                    # New and escalated follow-ups are written to the queue: nothing else matters here.
                    if changed is None or QUEUE_FILE in changed:
                        self.run_once()
            except StoreError as error:
                log.error("alerts paused: %s", error)
            stop.wait(poll)

    def start(self, poll: float = 0.25) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.watch, args=(stop, poll), name="sms-alerts", daemon=True)
        thread.start()
        return thread, stop
