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

from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone, read_phone
from shared.ratings import COMMENT_CHARS, Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore, UnknownFollowUp, utc_now
from sms.check_back import answer_check_back
from sms.conversations import Conversation, RateLimiter, Step, next_step
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
    opt_out_type: str = ""  # Twilio's OptOutType (STOP, START, HELP) when its opt-out handling matched
    received: datetime | None = None  # when it reached us (a text replayed from the spool); None: now


@dataclass(frozen=True, slots=True)
class Handled:
    """What was done: the reply to send (None: send nothing) and why."""

    reply: str | None
    action: str
    duplicate: bool = False
    rating_id: str = ""
    followup_id: str = ""  # the follow-up or to-read item the text was added to


@dataclass(frozen=True, slots=True)
class _Turn:
    """One text being handled: what every decision step needs."""

    records: SmsRecords
    phone: str
    message: Inbound
    reply: Reply
    now: datetime
    opted_out: bool


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
            sender = read_phone(message.sender, self.settings.phone_region)  # parsed once, for the store and logs
        except InvalidPhoneNumber:
            log.info("ignored message %s from an unusable number %s", message.sid, mask_phone(message.sender))
            return Handled(None, "invalid_sender")
        phone = sender.e164
        if not self.limiter.allow(phone, now):
            log.warning("rate limit: ignored message %s from %s", message.sid, sender.masked)
            return Handled(None, "rate_limited")
        with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
            seen = records.message(phone, message.sid)
            if seen is not None:
                return Handled(
                    seen.get("reply"),
                    seen.get("action", ""),
                    duplicate=True,
                    rating_id=seen.get("rating", ""),
                    followup_id=seen.get("followup", ""),
                )
            opted_out = records.is_opted_out(phone)
            reply = parse_reply(
                message.body, opted_out=opted_out, questions=self.settings.questions, opt_out_type=message.opt_out_type
            )
            handled = self._decide(_Turn(records, phone, message, reply, now, opted_out))
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
                    "followup": handled.followup_id,
                    "reply": handled.reply,
                },
            )
        log.info("message %s from %s: %s (%s)", message.sid, sender.masked, handled.action, reply.rule)
        return handled

    # -- decisions ----------------------------------------------------------------------

    def _decide(self, turn: _Turn) -> Handled:
        records, phone, message, reply, now = turn.records, turn.phone, turn.message, turn.reply, turn.now
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
        if reply.outcome is not None and (
            back := answer_check_back(self.store, phone, reply.outcome, message.body, now, conversation)
        ):
            return self._answer(turn, back.text, back.action, followup_id=back.followup_id)
        if conversation is not None and conversation.is_expired(now) and not conversation.awaits_late_answer:
            conversation = None  # over: whatever comes now starts a new visit
        previous = None
        if conversation is not None and conversation.rating_id and conversation.rating_ts is not None:
            previous = self.store.get_rating(conversation.rating_id, around=conversation.rating_ts)
            if previous is None:  # erased since: the conversation goes on as if unanswered
                conversation = dataclasses.replace(conversation, rating_id="", rating_ts=None, comment_until=None)
        step = next_step(
            conversation,
            reply,
            message.body,
            now,
            answer=None if previous is None else previous.outcome,
            correction_window=self.settings.correction_window,
        )
        if step is Step.RATE:
            return self._rate(turn, conversation, previous)
        if conversation is None:
            conversation = self._walk_in(phone, message, reply, now)
        if step is Step.COMMENT:
            assert previous is not None
            return self._add_comment(turn, conversation, previous)
        if step is Step.LATER:
            assert previous is not None
            return self._later(turn, conversation, previous)
        if step is Step.TO_READ:
            return self._to_read(turn, conversation, previous)
        records.save_conversation(dataclasses.replace(conversation, reasked=True), now)
        if step is Step.ASK:
            # A QR poster's prefilled text: answer with the question itself.
            return self._answer(turn, "question", "asked")
        return self._answer(turn, "reask", "reasked")

    def _answer(self, turn: _Turn, text: str, action: str, *, rating_id: str = "", followup_id: str = "") -> Handled:
        """The reply to send (none to an opted-out number, whose answers are kept all the same)."""
        reply = None if turn.opted_out else self.settings.text(text)
        return Handled(reply, action, rating_id=rating_id, followup_id=followup_id)

    def _rate(self, turn: _Turn, conversation: Conversation | None, previous: Rating | None) -> Handled:
        reply, message, now = turn.reply, turn.message, turn.now
        assert reply.outcome is not None
        if conversation is None:
            conversation = self._walk_in(turn.phone, message, reply, now)
        if previous is not None:
            comment = "\n".join(part for part in (previous.comment, reply.comment) if part)[:COMMENT_CHARS]
            changed = dataclasses.replace(previous, outcome=reply.outcome, comment=comment, raw=message.body)
            # "1" again after a manager closed the loop: the customer flags it anew.
            rating = self.store.update_rating(changed, now=now, reflag=reply.outcome is Outcome.BELOW).rating
            action = "rating_updated"
        else:
            rating = Rating(
                id=message.sid,
                ts=now,
                channel=Channel.SMS,
                outcome=reply.outcome,
                station=conversation.station or self._station(message, reply),
                staff=conversation.staff,
                touchpoint=conversation.touchpoint,
                comment=reply.comment,
                contact=Contact(turn.phone),
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
        if reply.comment:
            conversation = dataclasses.replace(conversation, commented=True)
        if reply.outcome is Outcome.BELOW:
            conversation = conversation.waiting_for_comment(now + self.settings.comment_window)
            answer = "below_noted" if reply.comment else "ask_what_went_wrong"
        else:
            conversation = conversation.waiting_for_comment(None)
            answer = THANKS[reply.outcome]
        turn.records.save_conversation(conversation, now)
        return self._answer(turn, answer, action, rating_id=rating.id)

    def _add_comment(self, turn: _Turn, conversation: Conversation, rating: Rating) -> Handled:
        followup = self.store.followup_of(rating)
        if followup is None or not followup.is_active:
            return self._to_read(turn, conversation, rating)  # a manager closed it already: read it anew
        comment = "\n".join(part for part in (rating.comment, turn.message.body.strip()) if part)
        self.store.update_rating(rating.enriched(comment=comment[:COMMENT_CHARS]), now=turn.now)
        conversation = dataclasses.replace(conversation.waiting_for_comment(None), commented=True)
        turn.records.save_conversation(conversation, turn.now)
        return self._answer(turn, "comment_thanks", "comment", rating_id=rating.id)

    def _later(self, turn: _Turn, conversation: Conversation, rating: Rating) -> Handled:
        """Words after the answer: kept with its open follow-up, never read as a change; else read by a person."""
        followup = self.store.followup_of(rating)
        if followup is None or not followup.is_active:
            return self._to_read(turn, conversation, rating)
        self.store.add_customer_words(followup.id, turn.message.body, now=turn.now)
        turn.records.save_conversation(dataclasses.replace(conversation, commented=True), turn.now)
        # A friendly "ok thanks" after a fell short must not sound as if all were well now.
        answer = "still_looking" if turn.reply.kind is ReplyKind.RATING else "comment_thanks"
        return self._answer(turn, answer, "later_words", rating_id=rating.id, followup_id=followup.id)

    def _to_read(self, turn: _Turn, conversation: Conversation, rating: Rating | None) -> Handled:
        """A text that is no answer goes to a person: joined to this conversation's open item, else a new one."""
        rating_id = "" if rating is None else rating.id
        if conversation.to_read_id and self._is_open(conversation.to_read_id):
            self.store.add_customer_words(conversation.to_read_id, turn.message.body, now=turn.now)
            return self._answer(
                turn, "comment_thanks", "to_read_words", rating_id=rating_id, followup_id=conversation.to_read_id
            )
        item = self.store.open_to_read(
            f"tr-{turn.message.sid}",
            turn.message.body,
            channel=Channel.SMS,
            contact=Contact(turn.phone),
            station=conversation.station or self._station(turn.message, turn.reply),
            staff=conversation.staff,
            rating_id=rating_id,
            now=turn.now,
        )
        conversation = dataclasses.replace(conversation, to_read_id=item.id, reasked=True)
        turn.records.save_conversation(conversation, turn.now)
        return self._answer(turn, "comment_thanks", "to_read", rating_id=rating_id, followup_id=item.id)

    def _is_open(self, followup_id: str) -> bool:
        try:
            return self.store.get_followup(followup_id).is_active
        except UnknownFollowUp:
            return False

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
