"""How the console says times: "4 min", "12 min left", "3 min overdue", and how urgent that is.

Pure: every function takes ``now``.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from shared.followups import FollowUp, Resolution

SOON = timedelta(minutes=5)


class Urgency(enum.StrEnum):
    """The colour of a follow-up's time left."""

    CALM = "calm"
    SOON = "soon"
    LATE = "late"


def duration_words(span: timedelta | None) -> str:
    """A short human duration: "45 s", "12 min", "2 h 05 min", "3 d 4 h"; "–" when unknown."""
    if span is None:
        return "–"
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def age_words(followup: FollowUp, now: datetime) -> str:
    """How long ago the customer answered."""
    return duration_words(now - followup.rating_ts)


def time_left_words(followup: FollowUp, now: datetime) -> str:
    left = followup.time_left(now)
    if left < timedelta(0):
        return f"{duration_words(-left)} overdue"
    return f"{duration_words(left)} left"


def urgency(followup: FollowUp, now: datetime) -> Urgency:
    left = followup.time_left(now)
    if left < timedelta(0):
        return Urgency.LATE
    if left <= SOON:
        return Urgency.SOON
    return Urgency.CALM


def percent(value: float | None) -> str:
    """A share as a whole percentage; "–" when there was nothing to count."""
    return "–" if value is None else f"{value * 100:.0f} %"


def resolution_words(resolution: Resolution | None) -> str:
    """How a follow-up was closed, in words: "could not reach"; "" while open."""
    return "" if resolution is None else str(resolution).replace("_", " ")
