"""Conversations and the sending rules: pure decisions that take ``now``.

A conversation is what one number is in the middle of: a prompt we sent (with the staff,
station and touchpoint it carried) or a walk-in text (from a QR poster). It remembers
the rating it produced, whether we are waiting for a comment, whether the customer said
more after answering, whether we re-asked, and the text it sent a person to read.

:func:`next_step` decides what a text does. Its promise: nothing a customer says is lost
(a text that is no answer reaches a person), and a fell short is never undone by a later
friendly text: only a bare correction right after the first answer may change it.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.ratings import Outcome, parse_time, utc
from sms.replies import Reply, ReplyKind
from sms.settings import SmsConfig

# A text this long is a message, not a fumbled answer: a person reads it at once, no re-ask.
MESSAGE_WORDS = 8


class Step(enum.StrEnum):
    """What an inbound text (not STOP, START or HELP) does in its conversation."""

    RATE = "rate"  # record the answer, or change it
    COMMENT = "comment"  # the comment asked for after a fell short
    LATER = "later"  # said after the answer: kept with its open follow-up, else read by a person
    ASK = "ask"  # a QR poster's prefilled text: answered with the question
    REASK = "reask"  # the one polite re-ask
    TO_READ = "to_read"  # no answer in it: a person reads it


class Refusal(enum.StrEnum):
    """Why a prompt was not sent."""

    OPTED_OUT = "opted_out"
    COOLING_OFF = "cooling_off"
    QUIET_HOURS = "quiet_hours"


@dataclass(frozen=True, slots=True)
class Conversation:
    """One number's current exchange with us; at most one per number."""

    phone: str
    id: str
    opened: datetime
    expires: datetime
    prompt_sid: str = ""  # empty for a walk-in (QR code, poster)
    staff: str = ""
    station: str = ""
    touchpoint: str = ""
    rating_id: str = ""
    rating_ts: datetime | None = None
    comment_until: datetime | None = None
    reasked: bool = False
    commented: bool = False  # the customer said more than the bare answer (a comment, later words)
    to_read_id: str = ""  # the to-read item this conversation opened: more unclear texts join it

    @classmethod
    def open(
        cls, phone: str, id: str, now: datetime, expiry: timedelta, *, prompt_sid: str = "", **details: str
    ) -> Conversation:
        now = utc(now)
        return cls(phone=phone, id=id, opened=now, expires=now + expiry, prompt_sid=prompt_sid, **details)

    def is_expired(self, now: datetime) -> bool:
        return utc(now) >= self.expires

    @property
    def awaits_late_answer(self) -> bool:
        """An unanswered prompt still takes an answer after it expired (recorded as late)."""
        return bool(self.prompt_sid) and not self.rating_id

    def awaits_comment(self, now: datetime) -> bool:
        return bool(self.rating_id) and self.comment_until is not None and utc(now) < self.comment_until

    def may_correct(self, now: datetime, window: timedelta) -> bool:
        """A bare rating may still change the answer: within ``window`` of the first one, before any comment."""
        return self.rating_ts is not None and not self.commented and utc(now) < self.rating_ts + window

    def rated(self, rating_id: str, rating_ts: datetime) -> Conversation:
        return dataclasses.replace(self, rating_id=rating_id, rating_ts=rating_ts)

    def waiting_for_comment(self, until: datetime | None) -> Conversation:
        return dataclasses.replace(self, comment_until=until)

    def to_record(self) -> dict[str, Any]:
        """Every field, times as ISO text; built field by field (``asdict`` deep-copies: a text's hot path)."""

        def moment(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "phone": self.phone,
            "id": self.id,
            "opened": moment(self.opened),
            "expires": moment(self.expires),
            "prompt_sid": self.prompt_sid,
            "staff": self.staff,
            "station": self.station,
            "touchpoint": self.touchpoint,
            "rating_id": self.rating_id,
            "rating_ts": moment(self.rating_ts),
            "comment_until": moment(self.comment_until),
            "reasked": self.reasked,
            "commented": self.commented,
            "to_read_id": self.to_read_id,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Conversation:
        def moment(key: str) -> datetime | None:
            return parse_time(record[key]) if record.get(key) else None

        opened, expires = moment("opened"), moment("expires")
        assert opened is not None and expires is not None
        return cls(
            phone=record["phone"],
            id=record["id"],
            opened=opened,
            expires=expires,
            prompt_sid=record.get("prompt_sid", ""),
            staff=record.get("staff", ""),
            station=record.get("station", ""),
            touchpoint=record.get("touchpoint", ""),
            rating_id=record.get("rating_id", ""),
            rating_ts=moment("rating_ts"),
            comment_until=moment("comment_until"),
            reasked=bool(record.get("reasked", False)),
            commented=bool(record.get("commented", False)),
            to_read_id=record.get("to_read_id", ""),
        )


def is_message(text: str) -> bool:
    """Long enough to be something the customer wrote to us, whatever its words."""
    return len(text.split()) >= MESSAGE_WORDS


def next_step(
    conversation: Conversation | None,
    reply: Reply,
    text: str,
    now: datetime,
    *,
    answer: Outcome | None,
    correction_window: timedelta,
) -> Step:
    """Decide what a text does, given the conversation (None: a new walk-in) and its recorded ``answer``.

    After a fell short, a later "ok thanks" or thumbs-up is kept with the follow-up, never read as
    a change; a new fell short is always taken; met and exceeded may change freely.
    """
    rating = reply.kind is ReplyKind.RATING
    if conversation is not None and answer is not None:
        if conversation.awaits_comment(now) and text.strip() and not reply.is_bare_rating and not reply.is_reaction:
            return Step.COMMENT  # a tapback on "What went wrong?" is no answer to it
        if not rating:
            return Step.LATER
        if answer is not Outcome.BELOW or reply.outcome is Outcome.BELOW:
            return Step.RATE
        if reply.is_bare_rating and conversation.may_correct(now, correction_window):
            return Step.RATE
        return Step.LATER
    if rating:
        return Step.RATE
    if is_message(text):
        return Step.TO_READ
    if conversation is None and reply.station_code:
        return Step.ASK
    if conversation is not None and conversation.reasked:
        return Step.TO_READ
    return Step.REASK


def prompt_refusal(
    settings: SmsConfig, now: datetime, *, opted_out: bool, last_prompted: datetime | None
) -> Refusal | None:
    """Whether a prompt may go to a number now: never opted out, cooled off, outside quiet hours."""
    if opted_out:
        return Refusal.OPTED_OUT
    if last_prompted is not None and utc(now) - last_prompted < settings.cooling_off:
        return Refusal.COOLING_OFF
    if settings.quiet_hours.contains(utc(now).astimezone(settings.zone).time()):
        return Refusal.QUIET_HOURS
    return None


class RateLimiter:
    """At most ``limit`` messages per number in any ``window``; thread-safe, in memory.

    Kept in memory on purpose: it protects this server from a flood, and a durable
    write per message for a one-minute counter would cost more than the flood.
    """

    def __init__(self, limit: int, window: timedelta = timedelta(minutes=1), max_numbers: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_numbers = max_numbers
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: datetime) -> bool:
        with self._lock:
            recent = self._seen.setdefault(key, deque())
            while recent and now - recent[0] >= self.window:
                recent.popleft()
            if len(recent) >= self.limit:
                return False
            recent.append(now)
            if len(self._seen) > self.max_numbers:
                self._forget_idle(now)
            return True

    def _forget_idle(self, now: datetime) -> None:
        for key in [key for key, times in self._seen.items() if not times or now - times[-1] >= self.window]:
            del self._seen[key]
