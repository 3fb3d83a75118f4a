"""Trends: day by day and week by week, by station, staff and channel, and what changed against the period before.

Pure, and read from the same hourly summaries as :mod:`shared.stats` (never a rating), so a year
of trends costs one pass over a year of hours. Shares carry a 95 % Wilson score interval: a
fell-short share of 2 in 4 is "somewhere between 15 % and 85 %", and a chart says so. A period
comparison flags a change only when a two-proportion z-test finds it unlikely to be noise
(p < 0.05): a quiet day's swing from 0 to 1 complaint is not news.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from shared.stats import OutcomeCounts, Stats, Summaries, share
from shared.summary import split_key

Z95 = 1.959963984540054  # the two-sided 95 % point of the normal distribution
NOTABLE_P = 0.05
GROUP_KINDS = ("station", "staff", "channel")


def wilson(part: int, whole: int, z: float = Z95) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of ``part / whole``; None when there is nothing to divide.

    Unlike ``p ± 1.96·√(p(1-p)/n)`` it stays within 0–1 and is honest for small counts (0 of 3
    is "0 % to 56 %", not "exactly 0 %").
    """
    if whole <= 0:
        return None
    p = part / whole
    z2 = z * z
    centre = (p + z2 / (2 * whole)) / (1 + z2 / whole)
    half = z * math.sqrt(p * (1 - p) / whole + z2 / (4 * whole * whole)) / (1 + z2 / whole)
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_p(part_a: int, whole_a: int, part_b: int, whole_b: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test that ``part_a/whole_a`` and ``part_b/whole_b``
    differ only by chance; None when either side is empty or both shares are 0 % or 100 % (nothing to test)."""
    if whole_a <= 0 or whole_b <= 0:
        return None
    pooled = (part_a + part_b) / (whole_a + whole_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / whole_a + 1 / whole_b))
    if spread == 0:
        return None
    z = (part_a / whole_a - part_b / whole_b) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def week_of(day: date) -> date:
    """The Monday that starts ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def week_name(monday: date) -> str:
    """``2026-W46``: the ISO week, as calendars and spreadsheets write it."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class Span:
    """One day or one ISO week (cut to the report's period), and its answers by outcome."""

    since: date
    until: date
    counts: OutcomeCounts

    @property
    def below_share(self) -> float | None:
        return share(self.counts.below, self.counts.answers)

    @property
    def below_interval(self) -> tuple[float, float] | None:
        return wilson(self.counts.below, self.counts.answers)

    @property
    def met_or_exceeded_interval(self) -> tuple[float, float] | None:
        return wilson(self.counts.met + self.counts.exceeded, self.counts.answers)

    @property
    def name(self) -> str:
        return self.since.isoformat() if self.since == self.until else week_name(self.since)


@dataclass(frozen=True, slots=True)
class ReasonSpan:
    """Fell short for one reason in one day or week, and the change against the day or week before it."""

    since: date
    count: int
    change: int | None  # None for the first span of the period: its predecessor was not read


@dataclass(frozen=True, slots=True)
class Trends:
    """Every series of the report's trend sections, for local days [since, until]."""

    days: tuple[Span, ...]
    weeks: tuple[Span, ...]
    group_days: Mapping[str, Mapping[str, tuple[Span, ...]]]  # kind → name → days with answers
    group_weeks: Mapping[str, Mapping[str, tuple[Span, ...]]]
    reason_days: Mapping[str, tuple[ReasonSpan, ...]]  # reason key → every day of the period
    reason_weeks: Mapping[str, tuple[ReasonSpan, ...]]


def compute_trends(summaries: Summaries, *, since: date, until: date, zone: tzinfo) -> Trends:
    """Day and week series for the local days [since, until] (``summaries`` may cover more)."""
    by_day: dict[date, Counter[str]] = {}
    day_of_utc: dict[str, date] = {}
    for hours in summaries.values():
        for hour_key, counts in hours.items():
            local = day_of_utc.get(hour_key)
            if local is None:
                local = datetime.fromisoformat(f"{hour_key}:00+00:00").astimezone(zone).date()
                day_of_utc[hour_key] = local
            if since <= local <= until:
                day = by_day.get(local)
                if day is None:
                    by_day[local] = Counter(counts)
                else:
                    day.update(counts)
    totals: dict[date, OutcomeCounts] = {}
    groups: dict[str, dict[str, dict[date, OutcomeCounts]]] = {kind: {} for kind in GROUP_KINDS}
    reasons: dict[str, dict[date, int]] = {}
    parts: dict[str, tuple[str, ...]] = {}  # a year has millions of counts but only dozens of keys
    for day, counts in sorted(by_day.items()):
        total = OutcomeCounts()
        for key, count in counts.items():
            split = parts.get(key)
            if split is None:
                split = parts[key] = split_key(key)
            match split:
                case ("outcome", outcome):
                    total = total.plus(outcome, count)
                case ("channel" | "station" | "staff" as kind, name, outcome):
                    series = groups[kind].setdefault(name, {})
                    series[day] = series.get(day, OutcomeCounts()).plus(outcome, count)
                case ("reason", reason):
                    reasons.setdefault(reason, {})[day] = count
        if total.answers:
            totals[day] = total
    every_day = [since + timedelta(days=offset) for offset in range((until - since).days + 1)]
    return Trends(
        days=tuple(Span(day, day, counts) for day, counts in totals.items()),
        weeks=_weeks(totals, since, until),
        group_days={
            kind: {name: tuple(Span(d, d, c) for d, c in sorted(series.items())) for name, series in named.items()}
            for kind, named in groups.items()
        },
        group_weeks={
            kind: {name: _weeks(series, since, until) for name, series in named.items()}
            for kind, named in groups.items()
        },
        reason_days={key: _reason_series(every_day, counts) for key, counts in sorted(reasons.items())},
        reason_weeks={key: _reason_weeks(counts, since, until) for key, counts in sorted(reasons.items())},
    )


def _weeks(days: Mapping[date, OutcomeCounts], since: date, until: date) -> tuple[Span, ...]:
    """ISO weeks (cut to the period) with answers, oldest first."""
    weeks: dict[date, OutcomeCounts] = {}
    for day, counts in days.items():
        monday = week_of(day)
        week = weeks.get(monday, OutcomeCounts())
        weeks[monday] = OutcomeCounts(week.below + counts.below, week.met + counts.met, week.exceeded + counts.exceeded)
    return tuple(
        Span(max(monday, since), min(monday + timedelta(days=6), until), counts)
        for monday, counts in sorted(weeks.items())
        if counts.answers
    )


def _reason_series(starts: list[date], counts: Mapping[date, int]) -> tuple[ReasonSpan, ...]:
    series = []
    previous: int | None = None
    for start in starts:
        count = counts.get(start, 0)
        series.append(ReasonSpan(start, count, None if previous is None else count - previous))
        previous = count
    return tuple(series)


def _reason_weeks(counts: Mapping[date, int], since: date, until: date) -> tuple[ReasonSpan, ...]:
    weekly: Counter[date] = Counter()
    for day, count in counts.items():
        weekly[max(week_of(day), since)] += count
    starts = sorted({max(week_of(since + timedelta(days=n)), since) for n in range((until - since).days + 1)})
    return _reason_series(starts, weekly)


# -- the period before ----------------------------------------------------------------


def previous_period(since: date, until: date) -> tuple[date, date]:
    """The period of the same length that ends the day before ``since``."""
    length = until - since + timedelta(days=1)
    return since - length, since - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Change:
    """One share in this period against the period before, and whether the change is unlikely to be noise."""

    subject: str  # "total", "station", "staff", "channel" or "reason"
    name: str  # the station, member of staff, channel or reason key ("" for the total)
    measure: str  # "below_share": fell short among answers
    before_part: int
    before_whole: int
    after_part: int
    after_whole: int
    p_value: float | None

    @property
    def before(self) -> float | None:
        return share(self.before_part, self.before_whole)

    @property
    def after(self) -> float | None:
        return share(self.after_part, self.after_whole)

    @property
    def notable(self) -> bool:
        return self.p_value is not None and self.p_value < NOTABLE_P


@dataclass(frozen=True, slots=True)
class Comparison:
    """This period against the one before it (same length), by the fell-short share."""

    since: date
    until: date
    changes: tuple[Change, ...]

    @property
    def notable(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.notable)


def compare(current: Stats, previous: Stats, *, since: date, until: date) -> Comparison:
    """Each fell-short share (total, per group, per reason among all answers) now against before.

    ``since`` and ``until`` are the previous period's days. Most notable (smallest p) first.
    """
    changes = [_change("total", "", current.totals.below, current.totals.answers, previous.totals)]
    for subject, now_groups, before_groups in (
        ("station", current.by_station, previous.by_station),
        ("staff", current.by_staff, previous.by_staff),
        ("channel", current.by_channel, previous.by_channel),
    ):
        for name in sorted(set(now_groups) | set(before_groups)):
            counts = now_groups.get(name, OutcomeCounts())
            changes.append(_change(subject, name, counts.below, counts.answers, before_groups.get(name)))
    for key in sorted(set(current.below_by_reason) | set(previous.below_by_reason)):
        before = previous.below_by_reason.get(key, 0)
        after = current.below_by_reason.get(key, 0)
        p = two_proportion_p(after, current.totals.answers, before, previous.totals.answers)
        changes.append(
            Change("reason", key, "below_share", before, previous.totals.answers, after, current.totals.answers, p)
        )
    ranked = sorted(changes, key=lambda c: (c.p_value is None, c.p_value if c.p_value is not None else 1.0))
    return Comparison(since, until, tuple(ranked))


def _change(subject: str, name: str, part: int, whole: int, before: OutcomeCounts | None) -> Change:
    before = before or OutcomeCounts()
    p = two_proportion_p(part, whole, before.below, before.answers)
    return Change(subject, name, "below_share", before.below, before.answers, part, whole, p)
