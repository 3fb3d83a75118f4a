"""Hourly counts of ratings, so reports never have to read every rating.

Pure: a rating maps to a handful of counter keys; an hour's bucket is the sum of
its ratings' keys. The store keeps one bucket per UTC hour and adjusts it when a
rating is recorded or changed. Hours (not days) let a report cut days in the
shop's own time zone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping

from shared.ratings import Rating

ANSWERS = "answers"
SUSPECT = "suspect"


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
