"""What customers wrote: comments and later words of the follow-ups, newest first, numbers masked.

Pure, and read from follow-up records only (every fell-short answer and every text nobody could
read as an answer has one), never from every rating: a year of answers has far fewer follow-ups,
and the report reads them anyway. Comments on answers that met expectations are in the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any

from shared.followups import FollowUp, FollowUpKind, short_ref
from shared.phones import mask_numbers
from shared.reasons import reason_label
from shared.text import printable
from shared.trends import week_name, week_of
from shared.words_count import Frequent, most_frequent

DEFAULT_LIMIT = 200  # the report lists the newest; the words are counted over all of them


class Source(StrEnum):
    """Where the words came from: the comment given with the answer, or a text the customer sent later."""

    COMMENT = "comment"
    LATER = "later"


@dataclass(frozen=True, slots=True)
class Written:
    """One thing a customer wrote, as a manager may read it (numbers masked)."""

    at: datetime
    text: str
    source: Source
    kind: FollowUpKind
    ref: str
    channel: str
    station: str
    staff: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    """Which writings to list: ``None`` means any; ``kind`` is the outcome (fell short, or a text to read)."""

    station: str | None = None
    reason: str | None = None
    kind: FollowUpKind | None = None

    def describe(self, labels: Mapping[str, str]) -> str:
        """``station Till 1 · reason Wait time · fell short``; "" when it admits everything."""
        parts = []
        if self.station is not None:
            parts.append(f"station {printable(self.station) or '(none)'}")
        if self.reason is not None:
            parts.append(f"reason {printable(reason_label(self.reason, labels))}")
        if self.kind is not None:
            parts.append(str(self.kind).replace("_", " "))
        return " · ".join(parts)

    def admits(self, written: Written) -> bool:
        return (
            (self.station is None or written.station == self.station)
            and (self.reason is None or self.reason in written.reasons)
            and (self.kind is None or written.kind is self.kind)
        )


@dataclass(frozen=True, slots=True)
class Writings:
    """The newest writings of the period (at most ``limit``), how many there were, and their frequent words."""

    items: tuple[Written, ...]
    total: int
    frequent: Frequent
    frequent_by_week: Mapping[str, Frequent]


def writings_of(record: Mapping[str, Any]) -> list[Written]:
    """The comment and the later words of one stored follow-up (see :meth:`FollowUp.to_record`)."""
    comment, later = str(record.get("comment") or "").strip(), record.get("later") or ()
    if not comment and not later:
        return []  # most follow-ups: read no further
    kind = FollowUp.kind_of(record)
    common = {
        "kind": kind,
        "ref": short_ref(str(record["id"])),
        "channel": str(record.get("channel", "")),
        "station": str(record.get("station", "")),
        "staff": str(record.get("staff", "")),
        "reasons": tuple(record.get("reasons") or ()),
    }
    found = []
    if comment:
        at = datetime.fromisoformat(record.get("rating_ts") or record["created"])
        found.append(Written(at=at, text=mask_numbers(comment), source=Source.COMMENT, **common))
    for words in later:
        if text := str(words.get("text", "")).strip():
            at = datetime.fromisoformat(words["at"])
            found.append(Written(at=at, text=mask_numbers(text), source=Source.LATER, **common))
    return found


def gather_writings(
    records: Iterable[Mapping[str, Any]],
    *,
    since: date,
    until: date,
    zone: tzinfo,
    only: Filter = Filter(),
    limit: int = DEFAULT_LIMIT,
) -> Writings:
    """Writings from the local days [since, until] that pass ``only``, newest first; the frequent words of
    the fell-short ones among them, for the whole period and week by week."""
    chosen = [
        written
        for record in records
        for written in writings_of(record)
        if since <= written.at.astimezone(zone).date() <= until and only.admits(written)
    ]
    chosen.sort(key=lambda written: written.at, reverse=True)
    fell_short = [written for written in chosen if written.kind is FollowUpKind.FELL_SHORT]
    weeks: dict[str, list[str]] = {}
    for written in reversed(fell_short):
        weeks.setdefault(week_name(week_of(written.at.astimezone(zone).date())), []).append(written.text)
    return Writings(
        items=tuple(chosen[:limit]),
        total=len(chosen),
        frequent=most_frequent(written.text for written in fell_short),
        frequent_by_week={week: most_frequent(texts, top=5) for week, texts in weeks.items()},
    )
