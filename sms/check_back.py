""" "Did we make it right?": text the customer once after a manager resolved their follow-up, read the answer.

The :class:`CheckBacker` runs in the SMS server beside the alerter: it watches the change feed for
resolved follow-ups, keeps a check-back for each one that asks for it (:mod:`shared.check_backs`),
and texts it when due: ``[sms] check_back_after_minutes`` after the resolution, never in quiet hours
(it waits for them to end), never to an opted-out number. A check-back is marked sent *before*
the text goes, so a restart or a second server never texts twice.

The customer's answer (yes / no / 1–3, read by :mod:`sms.replies` like any reply) is kept with
the check-back and, in their words, with the follow-up; a "no" or a fell short flags the
follow-up again, so it reopens and the managers are alerted as for a new one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.check_backs import TOO_LATE, CheckBack, CheckBackStatus, wants_check_back
from shared.door import Topic
from shared.phones import mask_phone
from shared.ratings import Outcome, utc
from shared.storage import StoreError
from shared.store import FeedbackStore, UnknownFollowUp, WindowMark, utc_now
from sms import watching
from sms.conversations import Conversation
from sms.records import SmsRecords
from sms.sender import Sender, SendFailed
from sms.settings import SmsConfig

log = logging.getLogger("sms.check_back")

QUIET_RECHECK = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CheckBackAnswer:
    """What the customer's answer did: the name of the text to reply with, and the follow-up it concerned."""

    text: str
    action: str
    followup_id: str


class CheckBacker:
    """Schedules and sends the check-backs that are due; :meth:`watch` runs it as the store changes.

    Each look reads only the follow-ups resolved since the last (the store reads the recent ones anew
    when it cannot tell: a restart, a restore): a look costs what changed, not the month's archive.
    """

    def __init__(
        self, settings: SmsConfig, store: FeedbackStore, sender: Sender, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.settings = settings
        self.store = store
        self.sender = sender
        self.clock = clock
        self._mark: WindowMark | None = None
        self._since: datetime | None = None  # where the last look began

    def in_quiet_hours(self, now: datetime) -> bool:
        return self.settings.quiet_hours.contains(utc(now).astimezone(self.settings.zone).time())

    def run_once(self) -> datetime | None:
        """Keep a check-back for each newly resolved follow-up, send those due; return the next due time."""
        if not self.settings.check_back:
            return None
        now = self.clock()
        after = self.settings.check_back_after
        since = now - after - TOO_LATE
        if self._since is not None and since < self._since:
            self._mark = None  # the clock went back: look at all of them again
        resolved = self.store.resolved_changed(self._mark, since, now=now)
        wanted = [CheckBack.for_followup(f, after) for f in resolved.items if wants_check_back(f, now, after)]
        if wanted:
            for check in self.store.schedule_check_backs(wanted):
                log.info("check-back for %s due at %s", check.followup_id, check.due.isoformat())
        self._mark, self._since = resolved.mark, since  # only once they are kept: a failure looks again
        waiting, listening = [], []
        for check in self.store.open_check_backs():
            if check.is_past_answer(now):
                self.store.save_check_back(check.unanswered())  # closed: its number leaves the store
            elif check.status is CheckBackStatus.WAITING:
                waiting.append(check)
            elif check.awaits_until is not None:
                listening.append(check.awaits_until)
        if self.in_quiet_hours(now) and any(check.is_due(now) for check in waiting):
            return now + QUIET_RECHECK  # they wait for the quiet hours to end
        for check in waiting:
            if check.is_due(now):
                self._send(check, now)
        # Look again when the next one falls due, or an answer window closes.
        return min([check.due for check in waiting if not check.is_due(now)] + listening, default=None)

    def _send(self, check: CheckBack, now: datetime) -> None:
        with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
            if records.is_opted_out(check.phone):
                self.store.save_check_back(check.skipped("opted out"))
                log.info("check-back for %s not sent: %s opted out", check.followup_id, mask_phone(check.phone))
                return
            self.store.save_check_back(check.sent(now, self.settings.prompt_expiry))  # marked before it goes
        try:
            self.sender.send(check.phone, self.settings.text("check_back"))
        except SendFailed as error:
            # Kept for good: Twilio's code, never its message (which may quote the number).
            self.store.save_check_back(check.skipped(f"send failed (Twilio error {error.code or 'unknown'})"))
            if error.opted_out:
                with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
                    records.opt_out(check.phone, now, source="twilio-21610")
            log.warning("check-back for %s to %s failed: %s", check.followup_id, mask_phone(check.phone), error)
            return
        log.info("check-back for %s sent to %s", check.followup_id, mask_phone(check.phone))

    def watch(self, stop: threading.Event, poll: float = 0.25) -> None:
        """Run until ``stop`` is set: after every resolution, and whenever a check-back falls due."""
        seen: int | None = None
        next_due: datetime | None = None
        while not stop.is_set():
            wait = poll
            try:
                revision = self.store.revision()
                moved = revision != seen and (seen is None or Topic.FOLLOWUPS in self.store.changes_since(seen))
                seen = revision
                if moved or (next_due is not None and self.clock() >= next_due):
                    wait = max(poll, watching.LEAST_GAP)  # resolutions meanwhile are read at the next look
                    next_due = self.run_once()
            except StoreError as error:
                log.error("check-backs paused: %s", error)
            stop.wait(wait)

    def start(self, poll: float = 0.25) -> tuple[threading.Thread, threading.Event]:
        return watching.start(lambda stop: self.watch(stop, poll), "sms-check-back")


def answer_check_back(
    store: FeedbackStore,
    phone: str,
    outcome: Outcome,
    body: str,
    now: datetime,
    conversation: Conversation | None = None,
) -> CheckBackAnswer | None:
    """Take a rating reply as the answer to this number's check-back, if one awaits it; else None.

    Called under the store's lock by the responder, so a repeated delivery finds it answered. A prompt
    sent after the check-back and not answered yet (``conversation``) takes the reply instead.
    """
    waiting = [c for c in store.open_check_backs() if c.phone == phone and c.awaits_answer(now)]
    if conversation is not None and conversation.awaits_late_answer:  # a question sent since asks first
        waiting = [c for c in waiting if c.sent_at is not None and c.sent_at > conversation.opened]
    if not waiting:
        return None
    check = max(waiting, key=lambda c: c.sent_at or c.due)
    store.save_check_back(check.answered(outcome, now))
    try:
        store.add_customer_words(check.followup_id, f"Did we make it right? {body.strip()}", now=now)
        if outcome is Outcome.BELOW:
            _flag_again(store, check.followup_id, now)
    except UnknownFollowUp:
        log.warning("check-back answer for %s: the follow-up is gone (erased?)", check.followup_id)
    if outcome is Outcome.BELOW:
        return CheckBackAnswer("check_back_sorry", "check_back_no", check.followup_id)
    return CheckBackAnswer("check_back_thanks", "check_back_yes", check.followup_id)


def _flag_again(store: FeedbackStore, followup_id: str, now: datetime) -> None:
    """Reopen it as the customer flagging it anew: back in the queue, and the managers alerted."""
    followup = store.get_followup(followup_id)
    rating = store.get_rating(followup.rating_id, around=followup.rating_ts)
    if rating is not None and rating.needs_follow_up:
        store.update_rating(rating, now=now, reflag=True)
    elif not followup.is_active:
        store.reopen(followup_id, now=now)
