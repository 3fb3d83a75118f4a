"""Today's counts for the staff menu, from the store's hourly summaries.

Pure: the summaries are per UTC hour, and "today" is the shop's own day, so the
hours are cut at the shop's midnight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.summary import ANSWERS, SUSPECT, counter_key


@dataclass(frozen=True, slots=True)
class TodayCounts:
    below: int = 0
    met: int = 0
    exceeded: int = 0
    suspect: int = 0

    @property
    def answers(self) -> int:
        return self.below + self.met + self.exceeded


def utc_days_of_local_day(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime, date, date]:
    """The shop's day around ``now`` as a UTC interval, and the UTC days it touches."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return start, end, start.date(), (end - timedelta(microseconds=1)).date()


def today_counts(
    summaries: Mapping[str, Mapping[str, Mapping[str, int]]], now: datetime, zone: ZoneInfo
) -> TodayCounts:
    """Sum the hourly buckets of ``store.daily_summaries`` that fall in the shop's day of ``now``."""
    start, end, _, _ = utc_days_of_local_day(now, zone)
    totals = dict.fromkeys(("below", "met", "exceeded", SUSPECT), 0)
    for hours in summaries.values():
        for hour, counts in hours.items():
            moment = datetime.fromisoformat(f"{hour}:00+00:00")
            if not start <= moment < end:
                continue
            for outcome in ("below", "met", "exceeded"):
                totals[outcome] += counts.get(counter_key("outcome", outcome), 0)
            totals[SUSPECT] += counts.get(SUSPECT, 0)
    return TodayCounts(totals["below"], totals["met"], totals["exceeded"], totals[SUSPECT])


__all__ = ["ANSWERS", "TodayCounts", "today_counts", "utc_days_of_local_day"]
