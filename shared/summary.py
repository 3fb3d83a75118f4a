"""Hourly counts of ratings, so reports never have to read every rating.

Pure: a rating maps to a handful of counter keys; an hour's bucket is the sum of
its ratings' keys. The store keeps one bucket per UTC hour and adjusts it when a
rating is recorded or changed. Hours (not days) let a report cut days in the
shop's own time zone.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from shared.ratings import Outcome, Rating

ANSWERS = "answers"
SUSPECT = "suspect"


@functools.lru_cache(maxsize=4096)  # a day's thousand answers share a few dozen keys
def counter_key(*parts: str) -> str:
    """An unambiguous key for a combination such as ("station", "front", "met")."""
    return json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))


def split_key(key: str) -> tuple[str, ...]:
    """The parts of a key made by :func:`counter_key`; plain keys come back as one part."""
    if key.startswith("["):
        return tuple(json.loads(key))
    return (key,)


def hour_of(rating: Rating) -> str:
    """The UTC hour bucket of a rating: ``YYYY-MM-DDTHH``."""
    return rating.ts.isoformat()[:13]  # years before 1000 padded, unlike strftime


def rating_counts(rating: Rating) -> Counter[str]:
    """What one rating adds to its hour's bucket.

    A suspect rating (a burst of taps) counts only as suspect, so statistics leave it out.
    """
    if rating.suspect:
        return Counter({SUSPECT: 1})
    outcome = str(rating.outcome)
    counts: Counter[str] = Counter({ANSWERS: 1})
    counts[counter_key("outcome", outcome)] += 1
    counts[counter_key("channel", str(rating.channel), outcome)] += 1
    counts[counter_key("station", rating.station, outcome)] += 1
    counts[counter_key("staff", rating.staff, outcome)] += 1
    if rating.outcome.is_unmet:
        for reason in rating.reasons:
            counts[counter_key("reason", reason)] += 1
    if rating.shoutout:
        counts[counter_key("shoutout", rating.shoutout)] += 1
    return counts


def apply_change(bucket: Mapping[str, int], old: Rating | None, new: Rating | None) -> dict[str, int]:
    """Return ``bucket`` with ``old`` taken out and ``new`` put in (either may be None)."""
    result: Counter[str] = Counter(bucket)
    if old is not None:
        result.subtract(rating_counts(old))
    if new is not None:
        result.update(rating_counts(new))
    return {key: count for key, count in result.items() if count}


def summarise(ratings: Iterable[Rating]) -> dict[str, dict[str, int]]:
    """Buckets by hour for a set of ratings, from scratch (used to rebuild a day)."""
    hours: dict[str, Counter[str]] = {}
    for rating in ratings:
        hours.setdefault(hour_of(rating), Counter()).update(rating_counts(rating))
    return {hour: dict(counts) for hour, counts in sorted(hours.items())}


_UNMET = {str(outcome): outcome.is_unmet for outcome in Outcome}


def summarise_records(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """:func:`summarise` of stored ratings, read as the dicts they are stored as.

    The recount of a day after a restore: building a :class:`Rating` for each of a day's
    thousand answers (parsing its times, checking every field) cost ten times the counting.
    The answers are first counted by what they are counted by (hour, outcome, station, ...),
    a few dozen kinds a day, then each kind is counted into its keys once. A record without
    the fields this version writes, or not in UTC, is read as a :class:`Rating`.
    """
    kinds: Counter[tuple[Any, ...]] = Counter()
    hours: dict[str, Counter[str]] = {}
    for record in records:
        kind = _kind(record)
        if kind is not None:
            kinds[kind] += 1
            continue
        rating = Rating.from_record(record)
        hours.setdefault(hour_of(rating), Counter()).update(rating_counts(rating))
    for (hour, suspect, outcome, channel, station, staff, reasons, shoutout), number in kinds.items():
        counts = hours.setdefault(hour, Counter())
        if suspect:
            counts[SUSPECT] += number
            continue
        counts[ANSWERS] += number
        counts[counter_key("outcome", outcome)] += number
        counts[counter_key("channel", channel, outcome)] += number
        counts[counter_key("station", station, outcome)] += number
        counts[counter_key("staff", staff, outcome)] += number
        for reason in reasons:
            counts[counter_key("reason", reason)] += number
        if shoutout:
            counts[counter_key("shoutout", shoutout)] += number
    return {hour: dict(counts) for hour, counts in sorted(hours.items())}


def _kind(record: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What a stored rating is counted by (see :func:`rating_counts`), or None if it is not stored as now."""
    try:
        ts, outcome = record["ts"], record["outcome"]
        if not ts.endswith("+00:00") or outcome not in _UNMET:
            return None
        reasons = tuple(record["reasons"]) if _UNMET[outcome] else ()
        return (ts[:13], bool(record["suspect"]), outcome, record["channel"], record["station"], record["staff"],
                reasons, record["shoutout"])  # fmt: skip
    except (KeyError, TypeError, AttributeError):
        return None
