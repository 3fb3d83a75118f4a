"""Conversations and the sending rules: pure decisions that take ``now``.

A conversation is what one number is in the middle of: a prompt we sent (with the staff,
station and touchpoint it carried) or a walk-in text (from a QR poster). It remembers
the rating it produced, whether we are waiting for a comment, and whether we re-asked.
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

from shared.ratings import parse_time, utc
from sms.settings import SmsConfig


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

    def rated(self, rating_id: str, rating_ts: datetime) -> Conversation:
        return dataclasses.replace(self, rating_id=rating_id, rating_ts=rating_ts)

    def waiting_for_comment(self, until: datetime | None) -> Conversation:
        return dataclasses.replace(self, comment_until=until)

    def to_record(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        for key in ("opened", "expires", "rating_ts", "comment_until"):
            record[key] = None if record[key] is None else record[key].isoformat()
        return record

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
        )


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
