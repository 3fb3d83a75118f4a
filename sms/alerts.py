"""Manager alerts: text the on-duty managers about each new fell-short follow-up, once.

The alerter watches the store's change feed, so follow-ups opened by any process (the
kiosk writes only to the store) are seen. Which follow-ups were alerted is kept in the
data directory and marked *before* sending: a restart or a second server never texts
twice (a failed send is unmarked and retried on the next change). Follow-ups older than
``[alerts] max_age_minutes`` are left to the managers' console.

When alerts are switched on for a store that already has open follow-ups, those are marked
as handled and the managers get one summary text instead of a burst: only new flags follow.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.door import Topic
from shared.followups import FollowUp
from shared.phones import mask_phone
from shared.ratings import utc
from shared.reasons import reasons_text
from shared.store import FeedbackStore, utc_now
from shared.text import printable
from sms import watching
from sms.records import SmsRecords
from sms.sender import Sender, SendFailed
from sms.settings import SmsConfig, gsm7_length

log = logging.getLogger("sms.alerts")

NEW, ESCALATED = "new", "escalated"
SEGMENT = 160  # one GSM-7 text
COMMENT_LIMIT = 60
# A character outside GSM-7 turns a whole text into 70-character UCS-2 segments: the parts we write
# (the masked number) and the customer's comment keep to GSM-7; the shop's own words are its choice.
GSM7_STAND_INS = str.maketrans({"•": "*", "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def alert_key(followup: FollowUp) -> tuple[str, datetime]:
    """What an alert is sent once for: this follow-up, as flagged by the customer at this time.

    A customer who flags a closed follow-up again (fell short once more) is alerted anew.
    """
    return followup.id, followup.flagged_at


def concerns(followup: FollowUp, kind: str) -> bool:
    """Whether a follow-up in the queue calls for this kind of alert at all (a text to read is no fell short)."""
    return not followup.is_to_read and (kind == NEW or followup.escalated_at is not None)


def _gsm7(text: str) -> str:
    """The text in GSM-7: common stand-ins, accents dropped where that helps ("ç" → "c"), emoji left out."""
    kept = []
    for char in text.translate(GSM7_STAND_INS):
        if gsm7_length(char) is None:
            char = unicodedata.normalize("NFKD", char)[0]
        kept.append(char if gsm7_length(char) is not None else "")
    return " ".join("".join(kept).split())


def alert_text(settings: SmsConfig, followup: FollowUp, kind: str) -> str:
    """The manager's text: where, why, the masked number, the short reference, and as much comment as fits."""
    values = {
        "where": printable(", ".join(part for part in (followup.station, followup.staff, followup.channel) if part)),
        "reasons": printable(reasons_text(followup.reasons, settings.reasons)) or "no reason given",
        "phone": _gsm7(mask_phone(followup.contact.phone)) if followup.contact else "not given",
        "ref": followup.ref,
        "id": followup.ref,
    }
    template = "alert" if kind == NEW else "escalation"
    comment = _gsm7(printable(followup.comment))
    shown = comment[:COMMENT_LIMIT]
    while True:
        cut = shown if shown == comment else shown.rstrip() + "..."
        text = settings.text(template, comment=f'"{cut}"' if shown else "", **values).strip()
        excess = (gsm7_length(text) or 0) - SEGMENT  # a shop's own non-GSM words: its choice, not cut here
        if excess <= 0 or not shown:
            return text
        shown = shown[: max(len(shown) - excess - 3, 0)] if len(shown) > 8 else ""


@dataclass(frozen=True, slots=True)
class Summary:
    """One text for the follow-ups that were already open when a kind of alert was switched on."""

    kind: str
    recipients: tuple[str, ...]
    count: int


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
        self._recorded_off = False

    def recipients(self) -> dict[str, tuple[str, ...]]:
        return {NEW: self.settings.managers, ESCALATED: self.settings.escalation_contacts}

    def run_once(self) -> int:
        """Send every alert not sent yet; return how many texts went out."""
        now = self.clock()
        if not any(self.recipients().values()) and self._recorded_off:
            return 0
        followups = self.store.open_followups()
        claimed: list[tuple[FollowUp, str, tuple[str, ...]]] = []
        summaries: list[Summary] = []
        with self.store.transaction() as tx, SmsRecords(tx) as records:
            for kind, recipients in self.recipients().items():
                candidates = [followup for followup in followups if concerns(followup, kind)]
                if self._first_run(records, kind, recipients, candidates, now):
                    backlog = [f for f in candidates if not records.alerted(*alert_key(f), kind)]
                    for followup in backlog:
                        records.mark_alerted(*alert_key(followup), kind, now)
                    if backlog:
                        summaries.append(Summary(kind, recipients, len(backlog)))
                    continue
                recent = [f for f in candidates if utc(now) - f.flagged_at <= self.settings.alert_max_age]
                for followup in recent if recipients else []:
                    if not records.alerted(*alert_key(followup), kind):
                        records.mark_alerted(*alert_key(followup), kind, now)
                        claimed.append((followup, kind, recipients))
        self._recorded_off = not any(self.recipients().values())
        sent = sum(self._send_summary(summary) for summary in summaries)
        for followup, kind, recipients in claimed:
            delivered = self._send(recipients, alert_text(self.settings, followup, kind), f"alert for {followup.id}")
            if not delivered:
                # Nobody got it: unmark so that the next change retries.
                with self.store.transaction() as tx:
                    SmsRecords(tx).unmark_alerted(*alert_key(followup), kind)
            log.info("%s alert for %s sent to %d of %d", kind, followup.id, delivered, len(recipients))
            sent += delivered
        return sent

    @staticmethod
    def _first_run(
        records: SmsRecords, kind: str, recipients: tuple[str, ...], candidates: list[FollowUp], now: datetime
    ) -> bool:
        """Record whether this kind of alert is on; True when it has just been switched on.

        A store that alerted before this record existed shows it by an alert already sent
        for a follow-up still open.
        """
        enabled = bool(recipients)
        before = records.alerts_enabled(kind)
        if before != enabled:
            records.set_alerts_enabled(kind, enabled, now)
        if not enabled or before:
            return False
        return before is False or not any(records.alerted(*alert_key(f), kind) for f in candidates)

    def _send_summary(self, summary: Summary) -> int:
        """One text instead of a burst; not retried (the console shows them all)."""
        body = self.settings.text("alert_backlog", count=str(summary.count))
        delivered = self._send(summary.recipients, body, f"summary of {summary.count} open follow-ups")
        log.info("%s alerts switched on: %d open follow-ups summed up in one text", summary.kind, summary.count)
        return delivered

    def _send(self, recipients: tuple[str, ...], body: str, what: str) -> int:
        delivered = 0
        for recipient in recipients:
            try:
                self.sender.send(recipient, body)
                delivered += 1
            except SendFailed as error:
                log.warning("%s to %s failed: %s", what, mask_phone(recipient), error)
        return delivered

    def watch(self, stop: threading.Event, poll: float = 0.25) -> None:
        """Run until ``stop`` is set: new and escalated follow-ups are in the queue, nothing else matters here."""
        watching.watch(self.store, {Topic.QUEUE}, self.run_once, stop, poll=poll, name="alerts")

    def start(self, poll: float = 0.25) -> tuple[threading.Thread, threading.Event]:
        return watching.start(lambda stop: self.watch(stop, poll), "sms-alerts")
