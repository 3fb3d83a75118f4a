""" "Did we make it right?": the one text a customer gets after a manager resolved their follow-up.

Pure domain: which resolved follow-ups are asked, when the text is due, what the answer means,
and the recovery rate as the customers said it beside the managers' own outcome codes. Sending
(and the quiet hours, opt-outs, texts) belongs to the SMS channel (:mod:`sms.check_back`).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.followups import FollowUp, FollowUpKind, FollowUpStatus, Resolution
from shared.perception import Share
from shared.ratings import Outcome, parse_time, utc

# The manager says they reached the customer: only then is "did we make it right?" a fair question.
ASKED_AFTER = frozenset({Resolution.RECOVERED, Resolution.APOLOGISED})
# A follow-up resolved longer ago than this when the server first sees it is not asked any more.
TOO_LATE = timedelta(hours=6)


class CheckBackStatus(enum.StrEnum):
    WAITING = "waiting"  # resolved; the text is due at ``due``
    SENT = "sent"  # texted; the customer's answer is awaited until ``awaits_until``
    ANSWERED = "answered"
    UNANSWERED = "unanswered"  # texted; no answer came within the window
    SKIPPED = "skipped"  # never texted (``why``: opted out, the send failed)


@dataclass(frozen=True, slots=True)
class CheckBack:
    """One follow-up's check-back: asked at most once, whatever happens to the follow-up after."""

    followup_id: str
    phone: str
    created: datetime  # the follow-up's, so a report counts it with the follow-up's period
    resolved_at: datetime
    resolution: Resolution
    due: datetime
    status: CheckBackStatus = CheckBackStatus.WAITING
    sent_at: datetime | None = None
    awaits_until: datetime | None = None
    answer: Outcome | None = None
    answered_at: datetime | None = None
    why: str = ""

    @classmethod
    def for_followup(cls, followup: FollowUp, after: timedelta) -> CheckBack:
        assert followup.contact is not None and followup.resolved_at is not None and followup.resolution is not None
        return cls(
            followup_id=followup.id,
            phone=followup.contact.phone,
            created=followup.created,
            resolved_at=followup.resolved_at,
            resolution=followup.resolution,
            due=followup.resolved_at + after,
        )

    def is_due(self, now: datetime) -> bool:
        return self.status is CheckBackStatus.WAITING and utc(now) >= self.due

    def awaits_answer(self, now: datetime) -> bool:
        return self.status is CheckBackStatus.SENT and self.awaits_until is not None and utc(now) < self.awaits_until

    def sent(self, now: datetime, answer_window: timedelta) -> CheckBack:
        now = utc(now)
        return dataclasses.replace(self, status=CheckBackStatus.SENT, sent_at=now, awaits_until=now + answer_window)

    def unanswered(self) -> CheckBack:
        return dataclasses.replace(self, status=CheckBackStatus.UNANSWERED)

    def is_past_answer(self, now: datetime) -> bool:
        """Texted, and the window for an answer has closed."""
        return self.status is CheckBackStatus.SENT and self.awaits_until is not None and utc(now) >= self.awaits_until

    def skipped(self, why: str) -> CheckBack:
        return dataclasses.replace(self, status=CheckBackStatus.SKIPPED, why=why)

    def answered(self, answer: Outcome, now: datetime) -> CheckBack:
        return dataclasses.replace(self, status=CheckBackStatus.ANSWERED, answer=answer, answered_at=utc(now))

    @property
    def made_right(self) -> bool | None:
        """Yes (met or exceeded), no (fell short), or None before an answer."""
        return None if self.answer is None else self.answer is not Outcome.BELOW

    @property
    def is_open(self) -> bool:
        """Still to send, or still listening for the answer."""
        return self.status in (CheckBackStatus.WAITING, CheckBackStatus.SENT)

    def to_record(self, *, with_phone: bool = True) -> dict[str, Any]:
        """``with_phone=False`` for the record kept for reports: the number is needed only while it is open."""
        record = dataclasses.asdict(self)
        if not with_phone:
            record["phone"] = ""
        for key, value in record.items():
            if isinstance(value, datetime):
                record[key] = value.isoformat()
            elif isinstance(value, enum.Enum):
                record[key] = str(value)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CheckBack:
        def moment(key: str) -> datetime | None:
            return parse_time(record[key]) if record.get(key) else None

        return cls(
            followup_id=record["followup_id"],
            phone=record["phone"],
            created=parse_time(record["created"]),
            resolved_at=parse_time(record["resolved_at"]),
            resolution=Resolution(record["resolution"]),
            due=parse_time(record["due"]),
            status=CheckBackStatus(record["status"]),
            sent_at=moment("sent_at"),
            awaits_until=moment("awaits_until"),
            answer=Outcome(record["answer"]) if record.get("answer") else None,
            answered_at=moment("answered_at"),
            why=str(record.get("why", "")),
        )


def wants_check_back(followup: FollowUp, now: datetime, after: timedelta) -> bool:
    """A fell short, resolved by a manager who reached the customer, with a consented number, not long ago."""
    return (
        followup.kind is FollowUpKind.FELL_SHORT
        and followup.status is FollowUpStatus.RESOLVED
        and followup.resolution in ASKED_AFTER
        and followup.resolved_at is not None
        and followup.contact is not None
        and followup.contact.consent
        and utc(now) - followup.resolved_at <= after + TOO_LATE
    )


@dataclass(frozen=True, slots=True)
class RecoveryRow:
    """Check-backs after one outcome code (or all): texted, answered, and said it was made right."""

    asked: int
    answered: int
    made_right: Share


@dataclass(frozen=True, slots=True)
class Recovery:
    overall: RecoveryRow
    by_resolution: dict[str, RecoveryRow]


CheckBackKey = tuple[Resolution, bool, Outcome | None]
"""The outcome code, whether the customer was texted, and their answer: all recovery needs of one."""


def key_of(check: CheckBack) -> CheckBackKey:
    return check.resolution, check.sent_at is not None, check.answer


def _row(counts: Mapping[CheckBackKey, int], codes: frozenset[Resolution]) -> RecoveryRow:
    asked = answered = right = 0
    for (code, sent, answer), count in counts.items():
        if code in codes and sent:
            asked += count
            answered += count if answer is not None else 0
            right += count if answer is not None and answer is not Outcome.BELOW else 0
    return RecoveryRow(asked, answered, Share(right, answered))


def recovery(counts: Mapping[CheckBackKey, int]) -> Recovery:
    """The recovery rate as customers said it: made right among those who answered, by the manager's code.

    From the period's check-backs counted by :data:`CheckBackKey` (the store counts them as it reads)."""
    codes = [code for code in Resolution if code in ASKED_AFTER]
    return Recovery(
        overall=_row(counts, ASKED_AFTER),
        by_resolution={str(code): _row(counts, frozenset({code})) for code in codes},
    )


def tally(checks: Iterable[CheckBack]) -> dict[CheckBackKey, int]:
    """Count check-backs already in memory."""
    counts: dict[CheckBackKey, int] = {}
    for check in checks:
        counts[key_of(check)] = counts.get(key_of(check), 0) + 1
    return counts
