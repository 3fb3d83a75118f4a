"""Follow-ups: every unmet expectation, and every text nobody could read as an answer, becomes
a task a shift manager must close.

Pure domain logic: the life cycle open → claimed → resolved (and back by reopening),
the due time from a target, urgency ordering. Every transition takes ``now``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.ratings import Channel, Contact, Rating, parse_time, utc

DEFAULT_TARGET = timedelta(minutes=15)
# A customer who keeps texting cannot grow a follow-up without bound: the latest words are kept.
LATER_WORDS_KEPT = 50
WORDS_LIMIT = 2000


class FollowUpKind(enum.StrEnum):
    """Why a person must look: the customer said we fell short, or wrote something only a person can read."""

    FELL_SHORT = "fell_short"
    TO_READ = "to_read"


_KINDS = {str(kind): kind for kind in FollowUpKind}

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # base32 without I, L, O, U: nothing to misread
REF_LENGTH = 4


def short_ref(followup_id: str) -> str:
    """A short reference people can say and type ("#K7Q2"), derived from the id: the same everywhere."""
    number = int.from_bytes(hashlib.sha256(followup_id.encode()).digest()[:4], "big") >> (32 - 5 * REF_LENGTH)
    chars = [CROCKFORD[(number >> (5 * place)) & 31] for place in reversed(range(REF_LENGTH))]
    return "#" + "".join(chars)


def normalise_ref(text: str) -> str:
    """What someone typed as a reference, as :func:`short_ref` writes it: "k7q2", "#K7Q2 " → "#K7Q2".

    Crockford's reading rules apply: O is 0, I and L are 1.
    """
    typed = text.strip().lstrip("#").upper().translate(str.maketrans("OIL", "011"))
    return "#" + typed


class FollowUpStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Resolution(enum.StrEnum):
    """How a manager closed the loop with the customer."""

    RECOVERED = "recovered"
    APOLOGISED = "apologised"
    COULD_NOT_REACH = "could_not_reach"
    NO_ACTION_NEEDED = "no_action_needed"


class FollowUpError(Exception):
    """A transition that the follow-up's current state does not allow."""


class AlreadyClaimed(FollowUpError):
    """Someone else claimed this follow-up first."""

    def __init__(self, followup_id: str, claimed_by: str) -> None:
        super().__init__(f"follow-up {followup_id} is already claimed by {claimed_by}")
        self.claimed_by = claimed_by


@dataclass(frozen=True, slots=True)
class CustomerWords:
    """Something the customer texted after their answer: kept with the follow-up, never read as an answer."""

    at: datetime
    text: str

    def to_record(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "text": self.text}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CustomerWords:
        return cls(parse_time(record["at"]), str(record.get("text", "")))


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The task opened for one unmet rating, or for one text to read (``kind``).

    It carries a copy of what a manager needs to act (station, staff, reasons,
    comment, contact) so that the live queue never has to read rating history.
    A to-read item has the text as its comment and no rating (``rating_id`` empty, or
    the rating its conversation gave; ``rating_ts`` is when the text came).
    ``flagged_at`` is when the customer last flagged it: when it opened, or when they
    changed their answer back to fell short (alerts are sent once per flag).
    """

    id: str
    rating_id: str
    rating_ts: datetime
    created: datetime
    due: datetime
    flagged_at: datetime
    channel: Channel
    station: str = ""
    staff: str = ""
    touchpoint: str = ""
    reasons: tuple[str, ...] = ()
    comment: str = ""
    contact: Contact | None = None
    customer_waiting: bool = False
    status: FollowUpStatus = FollowUpStatus.OPEN
    claimed_by: str = ""
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: Resolution | None = None
    note: str = ""
    escalated_at: datetime | None = None
    kind: FollowUpKind = FollowUpKind.FELL_SHORT
    later: tuple[CustomerWords, ...] = ()

    @classmethod
    def for_rating(cls, rating: Rating, *, now: datetime, target: timedelta = DEFAULT_TARGET) -> FollowUp:
        """Open the follow-up for an unmet rating, due ``target`` after it was flagged."""
        now = utc(now)
        return cls(
            id=f"fu-{rating.id}",
            rating_id=rating.id,
            rating_ts=rating.ts,
            created=now,
            due=now + target,
            flagged_at=now,
            channel=rating.channel,
        ).with_rating(rating)

    @classmethod
    def to_read(
        cls,
        id: str,
        text: str,
        *,
        now: datetime,
        channel: Channel,
        contact: Contact | None = None,
        station: str = "",
        staff: str = "",
        rating_id: str = "",
        target: timedelta = DEFAULT_TARGET,
    ) -> FollowUp:
        """Open a to-read item for a text that is no answer: a person reads every message."""
        now = utc(now)
        return cls(
            id=id,
            rating_id=rating_id,
            rating_ts=now,
            created=now,
            due=now + target,
            flagged_at=now,
            channel=channel,
            station=station,
            staff=staff,
            comment=text.strip()[:WORDS_LIMIT],
            contact=contact,
            kind=FollowUpKind.TO_READ,
        )

    def with_rating(self, rating: Rating) -> FollowUp:
        """Refresh the copy of the rating's details (after the customer added reasons or a number)."""
        return dataclasses.replace(
            self,
            station=rating.station,
            staff=rating.staff,
            touchpoint=rating.touchpoint,
            reasons=rating.reasons,
            comment=rating.comment,
            contact=rating.contact,
            customer_waiting=rating.customer_waiting,
        )

    @property
    def ref(self) -> str:
        """The short reference managers see and text each other ("#K7Q2"); the id stays the key."""
        return short_ref(self.id)

    @property
    def is_active(self) -> bool:
        return self.status is not FollowUpStatus.RESOLVED

    def is_overdue(self, now: datetime) -> bool:
        return self.is_active and utc(now) > self.due

    def time_left(self, now: datetime) -> timedelta:
        """Time until due; negative once overdue."""
        return self.due - utc(now)

    @property
    def is_to_read(self) -> bool:
        return self.kind is FollowUpKind.TO_READ

    def urgency_key(self, now: datetime) -> tuple[int, int, int, datetime]:
        """Sort key: every fell-short before any text to read; then customer waiting at the counter,
        then overdue, then by due time."""
        return (
            1 if self.is_to_read else 0,
            0 if self.customer_waiting else 1,
            0 if self.is_overdue(now) else 1,
            self.due,
        )

    def with_words(self, text: str, now: datetime) -> FollowUp:
        """Add what the customer texted later (the latest ``LATER_WORDS_KEPT`` are kept)."""
        words = CustomerWords(utc(now), text.strip()[:WORDS_LIMIT])
        return dataclasses.replace(self, later=(*self.later, words)[-LATER_WORDS_KEPT:])

    def reflag(self, now: datetime, *, target: timedelta = DEFAULT_TARGET) -> FollowUp:
        """The customer flagged it again (changed the answer back to fell short): back in the queue, alerted anew."""
        return dataclasses.replace(self.reopen(now, target=target), flagged_at=utc(now))

    def claim(self, by: str, now: datetime) -> FollowUp:
        if not by:
            raise FollowUpError("a claim needs the manager's name")
        if self.status is FollowUpStatus.RESOLVED:
            raise FollowUpError(f"follow-up {self.id} is already resolved; reopen it first")
        if self.status is FollowUpStatus.CLAIMED and self.claimed_by != by:
            raise AlreadyClaimed(self.id, self.claimed_by)
        return dataclasses.replace(self, status=FollowUpStatus.CLAIMED, claimed_by=by, claimed_at=utc(now))

    def resolve(self, resolution: Resolution, now: datetime, *, by: str = "", note: str = "") -> FollowUp:
        if self.status is FollowUpStatus.RESOLVED:
            raise FollowUpError(f"follow-up {self.id} is already resolved")
        claimed_by = self.claimed_by or by
        claimed_at = self.claimed_at or utc(now)
        return dataclasses.replace(
            self,
            status=FollowUpStatus.RESOLVED,
            claimed_by=claimed_by,
            claimed_at=claimed_at,
            resolved_at=utc(now),
            resolution=Resolution(resolution),
            note=note.strip(),
        )

    def reopen(self, now: datetime, *, target: timedelta = DEFAULT_TARGET) -> FollowUp:
        """Put a resolved or claimed item back in the queue, due ``target`` from now."""
        return dataclasses.replace(
            self,
            status=FollowUpStatus.OPEN,
            claimed_by="",
            claimed_at=None,
            resolved_at=None,
            resolution=None,
            due=utc(now) + target,
            escalated_at=None,
        )

    def escalate(self, now: datetime) -> FollowUp:
        return dataclasses.replace(self, escalated_at=utc(now))

    def to_record(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": self.id,
            "rating_id": self.rating_id,
            "rating_ts": iso(self.rating_ts),
            "created": iso(self.created),
            "due": iso(self.due),
            "channel": str(self.channel),
            "station": self.station,
            "staff": self.staff,
            "touchpoint": self.touchpoint,
            "reasons": list(self.reasons),
            "comment": self.comment,
            "contact": None if self.contact is None else self.contact.to_record(),
            "customer_waiting": self.customer_waiting,
            "status": str(self.status),
            "claimed_by": self.claimed_by,
            "claimed_at": iso(self.claimed_at),
            "resolved_at": iso(self.resolved_at),
            "resolution": None if self.resolution is None else str(self.resolution),
            "note": self.note,
            "escalated_at": iso(self.escalated_at),
            "flagged_at": iso(self.flagged_at),
            "kind": str(self.kind),
            "later": [words.to_record() for words in self.later],
        }

    @staticmethod
    def kind_of(record: Mapping[str, Any]) -> FollowUpKind:
        """The kind of a stored follow-up without parsing the rest (records before kinds are fell short)."""
        kind = record.get("kind")
        # A dict lookup: a year's report asks this of every stored follow-up, and building an enum costs more.
        return (_KINDS.get(kind) or FollowUpKind(kind)) if kind else FollowUpKind.FELL_SHORT

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FollowUp:
        def time(key: str) -> datetime | None:
            value = record.get(key)
            return None if not value else parse_time(value)

        created = parse_time(record["created"])
        return cls(
            id=record["id"],
            rating_id=record["rating_id"],
            rating_ts=parse_time(record["rating_ts"]),
            created=created,
            due=parse_time(record["due"]),
            flagged_at=time("flagged_at") or created,
            channel=Channel(record["channel"]),
            station=record.get("station", ""),
            staff=record.get("staff", ""),
            touchpoint=record.get("touchpoint", ""),
            reasons=tuple(record.get("reasons") or ()),
            comment=record.get("comment", ""),
            contact=Contact.from_record(record.get("contact")),
            customer_waiting=bool(record.get("customer_waiting", False)),
            status=FollowUpStatus(record["status"]),
            claimed_by=record.get("claimed_by", ""),
            claimed_at=time("claimed_at"),
            resolved_at=time("resolved_at"),
            resolution=None if not record.get("resolution") else Resolution(record["resolution"]),
            note=record.get("note", ""),
            escalated_at=time("escalated_at"),
            kind=cls.kind_of(record),
            later=tuple(CustomerWords.from_record(words) for words in record.get("later") or ()),
        )
