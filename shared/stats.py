"""Statistics for managers: how often the team meets expectations and how fast it closes the loop.

Pure: the inputs are the store's hourly summaries (``{utc_day: {"YYYY-MM-DDTHH": counts}}``,
see :mod:`shared.summary`) and follow-ups; ``now``, the shop's zone and the target are passed in.
Days are cut in the shop's time zone, so a report never has to read a single rating.

Hours are UTC buckets: in a zone whose offset is not a whole number of hours (India, +05:30)
a bucket is counted in the local hour (and day) in which it starts.
"""

from __future__ import annotations

import statistics
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from shared.check_backs import Recovery
from shared.followups import FollowUp, FollowUpKind, FollowUpStatus
from shared.perception import Perception
from shared.ratings import Outcome
from shared.summary import ANSWERS, SUSPECT, counter_key, split_key

if TYPE_CHECKING:
    from shared.trends import Comparison, Trends
    from shared.written import Writings

Summaries = Mapping[str, Mapping[str, Mapping[str, int]]]
_OUTCOME_KEYS = {str(outcome): counter_key("outcome", str(outcome)) for outcome in Outcome}


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Answers of one group (a channel, a station, a member of staff) by outcome."""

    below: int = 0
    met: int = 0
    exceeded: int = 0

    @property
    def answers(self) -> int:
        return self.below + self.met + self.exceeded

    @property
    def met_or_exceeded_share(self) -> float | None:
        return share(self.met + self.exceeded, self.answers)

    @property
    def exceeded_share(self) -> float | None:
        return share(self.exceeded, self.answers)

    def plus(self, outcome: str, count: int) -> OutcomeCounts:
        return OutcomeCounts(
            below=self.below + (count if outcome == Outcome.BELOW else 0),
            met=self.met + (count if outcome == Outcome.MET else 0),
            exceeded=self.exceeded + (count if outcome == Outcome.EXCEEDED else 0),
        )


@dataclass(frozen=True, slots=True)
class Stats:
    """Every figure of the statistics screen and the reports, for local days [since, until]."""

    since: date
    until: date
    timezone: str
    totals: OutcomeCounts
    suspect: int
    below_by_reason: dict[str, int]
    by_channel: dict[str, OutcomeCounts]
    by_station: dict[str, OutcomeCounts]
    by_staff: dict[str, OutcomeCounts]
    shoutouts: dict[str, int]
    answers_by_hour: tuple[int, ...]
    answers_by_day: dict[date, OutcomeCounts]
    followups: int
    claimed: int
    resolved: int
    still_open: int
    median_to_claim: timedelta | None
    median_to_resolve: timedelta | None
    within_target: int
    decided: int
    target: timedelta = field(default=timedelta(minutes=15))
    perception: Perception | None = None  # staff views beside customers' answers (None: not read here)
    recovery: Recovery | None = None  # what customers said when asked "did we make it right?"
    # Filled in by the report when asked for (see manager.report_trends): None means not computed.
    trends: Trends | None = None
    writings: Writings | None = None
    comparison: Comparison | None = None

    @property
    def answers(self) -> int:
        return self.totals.answers

    @property
    def below(self) -> int:
        return self.totals.below

    @property
    def met_or_exceeded_share(self) -> float | None:
        return self.totals.met_or_exceeded_share

    @property
    def exceeded_share(self) -> float | None:
        return self.totals.exceeded_share

    @property
    def within_target_share(self) -> float | None:
        """Resolved within target among the follow-ups whose fate is known (resolved, or already late)."""
        return share(self.within_target, self.decided)


@dataclass(frozen=True, slots=True)
class LoopTimes:
    """When a follow-up was opened, claimed and resolved: all that statistics need of it."""

    created: datetime
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None

    @classmethod
    def of(cls, followup: FollowUp) -> LoopTimes:
        resolved = followup.resolved_at if followup.status is FollowUpStatus.RESOLVED else None
        return cls(followup.created, followup.claimed_at, resolved)

    @classmethod
    def of_fell_short(cls, records: Iterable[Mapping[str, Any]]) -> list[LoopTimes]:
        """The times of stored follow-ups for fell-short answers: to-read items (a text that was no
        answer) are not fell-short answers, and are left out of every loop figure."""
        return [cls.from_record(record) for record in records if FollowUp.kind_of(record) is FollowUpKind.FELL_SHORT]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LoopTimes:
        """From a stored follow-up dict (see :meth:`FollowUp.to_record`), reading only the three times."""
        return cls.from_text(record["created"], record.get("claimed_at"), record.get("resolved_at"))

    @classmethod
    def from_text(cls, created: str, claimed: str | None, resolved: str | None) -> LoopTimes:
        """From the three times as stored (ISO 8601; empty or None when not yet)."""
        return cls(
            datetime.fromisoformat(created),
            datetime.fromisoformat(claimed) if claimed else None,
            datetime.fromisoformat(resolved) if resolved else None,
        )


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide (shown as "–", never as 0 %)."""
    return None if whole == 0 else part / whole


def utc_days_for(since: date, until: date) -> tuple[date, date]:
    """The UTC days whose hours may fall in the local days [since, until], whatever the zone."""
    return since - timedelta(days=1), until + timedelta(days=1)


def local_days(period: str, now: datetime, zone: tzinfo) -> tuple[date, date]:
    """``"today"`` or ``"7d"`` (today and the six days before) as local days."""
    today = now.astimezone(zone).date()
    if period == "today":
        return today, today
    if period == "7d":
        return today - timedelta(days=6), today
    raise ValueError(f"unknown period {period!r}; use 'today' or '7d'")


def compute(
    summaries: Summaries | Iterable[tuple[str, Mapping[str, Mapping[str, int]]]],
    followups: Iterable[FollowUp | LoopTimes],
    *,
    since: date,
    until: date,
    zone: tzinfo,
    now: datetime,
    target: timedelta,
) -> Stats:
    """All figures for the local days [since, until].

    ``summaries`` and ``followups`` may cover more (pass the :func:`utc_days_for` range):
    hours and follow-ups outside the local days are left out here. ``summaries`` may also be
    ``(day, hours)`` pairs as the store yields them: folded one day at a time, so a report's
    memory does not grow with the period.
    """
    by_hour = [0] * 24
    by_day: dict[date, Counter[str]] = {}
    everything: Counter[str] = Counter()
    days = summaries.items() if isinstance(summaries, Mapping) else summaries
    for _, hours in days:
        for hour_key, counts in hours.items():
            start = datetime.fromisoformat(f"{hour_key}:00+00:00").astimezone(zone)
            if not since <= start.date() <= until:
                continue
            by_hour[start.hour] += counts.get(ANSWERS, 0)
            day = by_day.setdefault(start.date(), Counter())
            for outcome, key in _OUTCOME_KEYS.items():
                day[outcome] += counts.get(key, 0)
            everything.update(counts)
    # Each distinct key is read once: a year has millions of counts but only dozens of keys.
    totals = OutcomeCounts()
    suspect = everything.pop(SUSPECT, 0)
    reasons: Counter[str] = Counter()
    shoutouts: Counter[str] = Counter()
    groups: dict[str, dict[str, OutcomeCounts]] = {"channel": {}, "station": {}, "staff": {}}
    for key, count in everything.items():
        match split_key(key):
            case ("outcome", outcome):
                totals = totals.plus(outcome, count)
            case ("channel" | "station" | "staff" as kind, name, outcome):
                group = groups[kind]
                group[name] = group.get(name, OutcomeCounts()).plus(outcome, count)
            case ("reason", reason):
                reasons[reason] += count
            case ("shoutout", name):
                shoutouts[name] += count
    loop = _loop_figures(followups, since=since, until=until, zone=zone, now=now, target=target)
    return Stats(
        since=since,
        until=until,
        timezone=str(zone),
        totals=totals,
        suspect=suspect,
        below_by_reason=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        by_channel=_ranked(groups["channel"]),
        by_station=_ranked(groups["station"]),
        by_staff=_ranked(groups["staff"]),
        shoutouts=dict(sorted(shoutouts.items(), key=lambda item: (-item[1], item[0]))),
        answers_by_hour=tuple(by_hour),
        answers_by_day={
            day: OutcomeCounts(counts["below"], counts["met"], counts["exceeded"])
            for day, counts in sorted(by_day.items())
            if counts.total()
        },
        target=target,
        **loop,
    )


def _ranked(groups: dict[str, OutcomeCounts]) -> dict[str, OutcomeCounts]:
    """Most fell-short first, then most answers, then by name: where to look first."""
    return dict(sorted(groups.items(), key=lambda item: (-item[1].below, -item[1].answers, item[0])))


def _loop_figures(
    followups: Iterable[FollowUp | LoopTimes],
    *,
    since: date,
    until: date,
    zone: tzinfo,
    now: datetime,
    target: timedelta,
) -> dict[str, object]:
    """How fast the loop closes for follow-ups opened in the local days [since, until]."""
    count = claimed = resolved = still_open = within = decided = 0
    to_claim = array("d")  # seconds, 8 bytes each: years of follow-ups kept for their medians
    to_resolve = array("d")
    for item in followups:
        if isinstance(item, FollowUp) and item.is_to_read:
            continue  # a text to read is no fell-short answer
        times = LoopTimes.of(item) if isinstance(item, FollowUp) else item
        if not since <= times.created.astimezone(zone).date() <= until:
            continue
        count += 1
        if times.claimed_at is not None:
            claimed += 1
            to_claim.append((times.claimed_at - times.created).total_seconds())
        if times.resolved_at is not None:
            resolved += 1
            took = times.resolved_at - times.created
            to_resolve.append(took.total_seconds())
            decided += 1
            within += took <= target
        else:
            still_open += 1
            decided += now - times.created > target
    return {
        "followups": count,
        "claimed": claimed,
        "resolved": resolved,
        "still_open": still_open,
        "median_to_claim": _median(to_claim),
        "median_to_resolve": _median(to_resolve),
        "within_target": within,
        "decided": decided,
    }


def _median(seconds: Sequence[float]) -> timedelta | None:
    return None if not seconds else timedelta(seconds=statistics.median(seconds))
