"""Answering one inbound text: understand it, record it against its conversation, choose the reply.

No Flask here: the webhook hands over an :class:`Inbound` and sends back the reply text.
Everything for one message happens under the store's lock, so a delivery repeated by
Twilio (same ``MessageSid``) finds the first one done and gets the very same reply.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore, utc_now
from sms.conversations import Conversation, RateLimiter
from sms.records import SmsRecords
from sms.replies import Reply, ReplyKind, parse_reply
from sms.settings import SmsConfig

log = logging.getLogger("sms.responder")

THANKS = {Outcome.MET: "thanks_met", Outcome.EXCEEDED: "thanks_exceeded"}


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as Twilio delivered it."""

    sid: str
    sender: str  # From, as Twilio sent it
    to: str = ""
    body: str = ""
    received: datetime | None = None  # when it reached us (a text replayed from the spool); None: now


@dataclass(frozen=True, slots=True)
class Handled:
    """What was done: the reply to send (None: send nothing) and why."""

    reply: str | None
    action: str
    duplicate: bool = False
    rating_id: str = ""


class Responder:
    """The SMS channel's decisions for inbound texts."""

    def __init__(
        self,
        settings: SmsConfig,
        store: FeedbackStore,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def handle(self, message: Inbound) -> Handled:
        now = message.received or self.clock()
        try:
            phone = normalise_phone(message.sender, self.settings.phone_region)
        except InvalidPhoneNumber:
            log.info("ignored message %s from an unusable number %s", message.sid, mask_phone(message.sender))
            return Handled(None, "invalid_sender")
        if not self.limiter.allow(phone, now):
            log.warning("rate limit: ignored message %s from %s", message.sid, mask_phone(phone))
            return Handled(None, "rate_limited")
        with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
            seen = records.message(phone, message.sid)
            if seen is not None:
                return Handled(
                    seen.get("reply"), seen.get("action", ""), duplicate=True, rating_id=seen.get("rating", "")
                )
            opted_out = records.is_opted_out(phone)
            reply = parse_reply(message.body, opted_out=opted_out)
            handled = self._decide(records, phone, message, reply, opted_out, now)
            records.save_message(
                phone,
                message.sid,
                now,
                {
                    "sid": message.sid,
                    "to": message.to,
                    "body": message.body,
                    "kind": str(reply.kind),
                    "outcome": None if reply.outcome is None else str(reply.outcome),
                    "rule": reply.rule,
                    "action": handled.action,
                    "rating": handled.rating_id,
                    "reply": handled.reply,
                },
            )
        log.info("message %s from %s: %s (%s)", message.sid, mask_phone(phone), handled.action, reply.rule)
        return handled

    # -- decisions ----------------------------------------------------------------------

    def _decide(
        self, records: SmsRecords, phone: str, message: Inbound, reply: Reply, opted_out: bool, now: datetime
    ) -> Handled:
        text = self.settings.text
        if reply.kind is ReplyKind.OPT_OUT:
            first = records.opt_out(phone, now, source="keyword")
            return Handled(text("opted_out") if first else None, "opted_out" if first else "already_opted_out")
        if reply.kind is ReplyKind.OPT_IN:
            records.opt_in(phone)
            return Handled(text("opted_in"), "opted_in")
        if reply.kind is ReplyKind.HELP:
            return Handled(text("help"), "help")
        conversation = records.conversation(phone)
        if conversation is not None and conversation.is_expired(now) and not conversation.awaits_late_answer:
            conversation = None  # over: whatever comes now starts a new visit
        is_comment = bool(message.body.strip()) and not reply.is_bare_rating
        if conversation is not None and conversation.awaits_comment(now) and is_comment:
            return self._add_comment(records, conversation, message, now, opted_out)
        if reply.kind is ReplyKind.RATING:
            return self._rate(records, phone, conversation, message, reply, now, opted_out)
        return self._unclear(records, phone, conversation, message, reply, now, opted_out)

    def _rate(
        self,
        records: SmsRecords,
        phone: str,
        conversation: Conversation | None,
        message: Inbound,
        reply: Reply,
        now: datetime,
        opted_out: bool,
    ) -> Handled:
        assert reply.outcome is not None
        if conversation is None:
            conversation = self._walk_in(phone, message, reply, now)
        station = conversation.station or self._station(message, reply)
        if conversation.rating_id and conversation.rating_ts is not None:
            previous = self.store.get_rating(conversation.rating_id, around=conversation.rating_ts)
            if previous is not None:
                comment = "\n".join(part for part in (previous.comment, reply.comment) if part)
                changed = dataclasses.replace(previous, outcome=reply.outcome, comment=comment, raw=message.body)
                rating = self.store.update_rating(changed, now=now).rating
                action = "rating_updated"
            else:
                conversation = dataclasses.replace(conversation, rating_id="", rating_ts=None)
        if not conversation.rating_id or conversation.rating_ts is None:
            rating = Rating(
                id=message.sid,
                ts=now,
                channel=Channel.SMS,
                outcome=reply.outcome,
                station=station,
                staff=conversation.staff,
                touchpoint=conversation.touchpoint,
                comment=reply.comment,
                contact=Contact(phone),
                late=conversation.is_expired(now),
                raw=message.body,
                extra={
                    "conversation": conversation.id,
                    **({"prompt": conversation.prompt_sid} if conversation.prompt_sid else {}),
                },
            )
            rating = self.store.record_rating(rating, now=now).rating
            action = "rating_recorded_late" if rating.late else "rating_recorded"
        conversation = conversation.rated(rating.id, rating.ts)
        if reply.outcome is Outcome.BELOW:
            conversation = conversation.waiting_for_comment(now + self.settings.comment_window)
            answer = "below_noted" if reply.comment else "ask_what_went_wrong"
        else:
            conversation = conversation.waiting_for_comment(None)
            answer = THANKS[reply.outcome]
        records.save_conversation(conversation, now)
        return Handled(None if opted_out else self.settings.text(answer), action, rating_id=rating.id)

    def _add_comment(
        self, records: SmsRecords, conversation: Conversation, message: Inbound, now: datetime, opted_out: bool
    ) -> Handled:
        assert conversation.rating_ts is not None
        rating = self.store.get_rating(conversation.rating_id, around=conversation.rating_ts)
        if rating is None:
            records.save_conversation(conversation.waiting_for_comment(None), now)
            return Handled(None, "comment_lost")
        comment = "\n".join(part for part in (rating.comment, message.body.strip()) if part)
        self.store.update_rating(rating.enriched(comment=comment[:2000]), now=now)
        records.save_conversation(conversation.waiting_for_comment(None), now)
        return Handled(None if opted_out else self.settings.text("comment_thanks"), "comment", rating_id=rating.id)

    def _unclear(
        self,
        records: SmsRecords,
        phone: str,
        conversation: Conversation | None,
        message: Inbound,
        reply: Reply,
        now: datetime,
        opted_out: bool,
    ) -> Handled:
        if conversation is not None and conversation.rating_id:
            return Handled(None, "ignored_after_rating")
        if conversation is None:
            conversation = self._walk_in(phone, message, reply, now)
            if reply.station_code:
                # A QR poster's prefilled text: answer with the question itself.
                records.save_conversation(dataclasses.replace(conversation, reasked=True), now)
                return Handled(None if opted_out else self.settings.text("question"), "asked")
        if conversation.reasked:
            return Handled(None, "unclear_again")
        records.save_conversation(dataclasses.replace(conversation, reasked=True), now)
        return Handled(None if opted_out else self.settings.text("reask"), "reasked")

    def _walk_in(self, phone: str, message: Inbound, reply: Reply, now: datetime) -> Conversation:
        return Conversation.open(
            phone, f"walk-in-{message.sid}", now, self.settings.prompt_expiry, station=self._station(message, reply)
        )

    def _station(self, message: Inbound, reply: Reply) -> str:
        """A station code in the text (from a QR poster), else the number that received it."""
        if reply.station_code:
            return self.settings.station_for_code(reply.station_code)
        try:
            return self.settings.numbers.get(normalise_phone(message.to, self.settings.phone_region), "")
        except InvalidPhoneNumber:
            return ""
