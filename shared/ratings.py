"""Ratings: one customer's answer to "Did we meet your expectations?".

Pure domain values. A rating is created by a channel (kiosk tap, SMS reply,
synced batch) with the id its source gave it, so recording it twice is
detectable, and enriched later (reasons, comment, contact) without ever
changing who answered or when.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


class Outcome(enum.StrEnum):
    """The three answers a customer can give."""

    BELOW = "below"
    MET = "met"
    EXCEEDED = "exceeded"

    @property
    def is_unmet(self) -> bool:
        return self is Outcome.BELOW


class Channel(enum.StrEnum):
    """Where an answer came from."""

    KIOSK = "kiosk"
    SMS = "sms"


class InvalidRating(ValueError):
    """A rating's fields do not make sense; the message says which one."""


@dataclass(frozen=True, slots=True)
class Contact:
    """A way to reach the customer, kept only with their explicit consent.

    ``phone`` is always E.164 (``+15551234567``); use :func:`shared.phones.normalise_phone`
    to build it and :func:`shared.phones.mask_phone` to show it.
    """

    phone: str
    consent: bool = True

    def __post_init__(self) -> None:
        if not (self.phone.startswith("+") and self.phone[1:].isdigit() and 8 <= len(self.phone) <= 16):
            raise InvalidRating(f"contact phone must be E.164 such as +15551234567, not {self.phone!r}")

    def to_record(self) -> dict[str, Any]:
        return {"phone": self.phone, "consent": self.consent}

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> Contact | None:
        """The contact in a stored record, or None when there is none."""
        if not record:
            return None
        return cls(phone=record["phone"], consent=bool(record.get("consent", True)))


def utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None:
        raise InvalidRating("times must carry a time zone (got a naive datetime)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidRating(f"time {moment.isoformat()} is outside the years a clock can show") from None


@dataclass(frozen=True, slots=True)
class Rating:
    """One answer, as recorded.

    ``ts`` is when the customer answered (not when the store received it);
    ``received`` is set by the store the first time it keeps the rating.
    ``suspect`` marks taps from a burst, kept but left out of the queue and statistics.
    ``late`` marks an SMS reply that came after its prompt expired.
    """

    id: str
    ts: datetime
    channel: Channel
    outcome: Outcome
    station: str = ""
    staff: str = ""
    touchpoint: str = ""
    reasons: tuple[str, ...] = ()
    comment: str = ""
    contact: Contact | None = None
    shoutout: str = ""
    customer_waiting: bool = False
    suspect: bool = False
    late: bool = False
    raw: str = ""
    received: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str) or len(self.id) > 128:
            raise InvalidRating("a rating needs the id its source gave it (1 to 128 characters)")
        object.__setattr__(self, "ts", utc(self.ts))
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        if self.received is not None:
            object.__setattr__(self, "received", utc(self.received))
        if any(not isinstance(reason, str) or not reason for reason in self.reasons):
            raise InvalidRating("reasons must be non-empty strings")

    def enriched(
        self,
        *,
        reasons: Iterable[str] | None = None,
        comment: str | None = None,
        contact: Contact | None = None,
        shoutout: str | None = None,
        customer_waiting: bool | None = None,
    ) -> Rating:
        """Return this rating with the follow-up answers the customer added.

        Only the given fields change; the outcome, time and source stay as answered.
        """
        changes: dict[str, Any] = {}
        if reasons is not None:
            changes["reasons"] = tuple(dict.fromkeys(reasons))
        if comment is not None:
            changes["comment"] = comment.strip()
        if contact is not None:
            changes["contact"] = contact
        if shoutout is not None:
            changes["shoutout"] = shoutout
        if customer_waiting is not None:
            changes["customer_waiting"] = customer_waiting
        return dataclasses.replace(self, **changes)

    @property
    def day(self) -> str:
        """The UTC day (``YYYY-MM-DD``) this rating belongs to in the store's partitions."""
        return self.ts.date().isoformat()  # years before 1000 padded, unlike strftime

    @property
    def needs_follow_up(self) -> bool:
        """An unmet expectation that is not from a suspect burst must reach a person."""
        return self.outcome.is_unmet and not self.suspect

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict; the inverse of :meth:`from_record`."""
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "channel": str(self.channel),
            "outcome": str(self.outcome),
            "station": self.station,
            "staff": self.staff,
            "touchpoint": self.touchpoint,
            "reasons": list(self.reasons),
            "comment": self.comment,
            "contact": None if self.contact is None else self.contact.to_record(),
            "shoutout": self.shoutout,
            "customer_waiting": self.customer_waiting,
            "suspect": self.suspect,
            "late": self.late,
            "raw": self.raw,
            "received": None if self.received is None else self.received.isoformat(),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Rating:
        """Build a rating from a stored or received dict, validating every field."""
        try:
            received = record.get("received")
            return cls(
                id=record["id"],
                ts=parse_time(record["ts"]),
                channel=Channel(record["channel"]),
                outcome=Outcome(record["outcome"]),
                station=str(record.get("station") or ""),
                staff=str(record.get("staff") or ""),
                touchpoint=str(record.get("touchpoint") or ""),
                reasons=tuple(record.get("reasons") or ()),
                comment=str(record.get("comment") or ""),
                contact=Contact.from_record(record.get("contact")),
                shoutout=str(record.get("shoutout") or ""),
                customer_waiting=bool(record.get("customer_waiting", False)),
                suspect=bool(record.get("suspect", False)),
                late=bool(record.get("late", False)),
                raw=str(record.get("raw") or ""),
                received=None if not received else parse_time(received),
                extra={str(k): str(v) for k, v in (record.get("extra") or {}).items()},
            )
        except KeyError as missing:
            raise InvalidRating(f"rating is missing the field {missing}") from None
        except (TypeError, ValueError) as error:
            if isinstance(error, InvalidRating):
                raise
            raise InvalidRating(f"rating has an invalid field: {error}") from None


@dataclass(frozen=True, slots=True)
class Limits:
    """What the store accepts from outside: how far a rating's time may be from the server's
    clock, and how long each field may be. A kiosk with a wrong clock or a forged batch is
    refused per rating with a message that says what to fix, never stored where it breaks
    exports, partitions or retention."""

    max_past: timedelta = timedelta(days=400)
    max_future: timedelta = timedelta(minutes=5)


DEFAULT_LIMITS = Limits()

NAME_CHARS = 100
"""station, staff, touchpoint and shoutout: names a shop sets up, never prose."""
COMMENT_CHARS = 2000
RAW_CHARS = 5000
"""The text of a reply as received; an SMS is at most 1,600 characters."""
MAX_REASONS = 20
REASON_CHARS = 64
MAX_EXTRA = 20
EXTRA_KEY_CHARS = 64
EXTRA_VALUE_CHARS = 500


def check_bounds(rating: Rating, now: datetime, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a rating answered too far from ``now`` (the server's clock) or with an oversized field.

    Raises :class:`InvalidRating` saying which field and what to fix.
    """
    check_time(rating.ts, now, limits)
    check_fields(rating)


def check_time(ts: datetime, now: datetime, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a time more than ``limits.max_past`` before, or ``limits.max_future`` after, ``now``."""
    now = utc(now)
    if ts - now > limits.max_future:
        raise InvalidRating(
            f"ts {ts.isoformat()} is {_span(ts - now)} ahead of the server's clock "
            f"({now:%Y-%m-%d %H:%M} UTC; at most {_span(limits.max_future)} allowed): check the device's clock"
        )
    if now - ts > limits.max_past:
        raise InvalidRating(
            f"ts {ts.isoformat()} is {_span(now - ts)} before the server's clock "
            f"({now:%Y-%m-%d %H:%M} UTC; at most {_span(limits.max_past)} allowed): check the device's clock"
        )


def check_fields(rating: Rating) -> None:
    """Refuse a field longer than a person could mean (see the README's table of bounds)."""
    for name in ("station", "staff", "touchpoint", "shoutout"):
        _check_length(name, getattr(rating, name), NAME_CHARS)
    _check_length("comment", rating.comment, COMMENT_CHARS)
    _check_length("raw", rating.raw, RAW_CHARS)
    if len(rating.reasons) > MAX_REASONS:
        raise InvalidRating(f"reasons has {len(rating.reasons)} items; at most {MAX_REASONS} are kept")
    for reason in rating.reasons:
        _check_length("each reason", reason, REASON_CHARS)
    if len(rating.extra) > MAX_EXTRA:
        raise InvalidRating(f"extra has {len(rating.extra)} keys; at most {MAX_EXTRA} are kept")
    for key, value in rating.extra.items():
        _check_length("each extra key", key, EXTRA_KEY_CHARS)
        _check_length(f"extra {key!r}", value, EXTRA_VALUE_CHARS)


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidRating(f"{name} is {len(value)} characters long; at most {limit} are kept")


def _span(delta: timedelta) -> str:
    """A duration as a person says it: 5 minutes, 401 days."""
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    if delta >= timedelta(hours=2):
        return f"{int(delta.total_seconds() // 3600)} hours"
    minutes, seconds = divmod(math.ceil(delta.total_seconds()), 60)  # up: 5 min 0.4 s is over 5 minutes
    parts = [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []
    if seconds or not minutes:
        parts.append(f"{seconds} second{'s' if seconds != 1 else ''}")
    return " ".join(parts)


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time that carries a zone (``Z`` allowed), as UTC."""
    if not isinstance(text, str):
        raise InvalidRating(f"time must be an ISO 8601 string, not {text!r}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRating(f"time {text!r} is not ISO 8601") from None
    return utc(moment)
