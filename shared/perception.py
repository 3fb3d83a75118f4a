"""The perception gap: what staff believed against what the customer said, on the same interactions.

Pure. The input is the period's pairs counted by staff, station, view and answer
(:class:`shared.interactions.PairTally`), never the ratings. Every share comes with its count and a
95 % Wilson score interval (it stays inside 0–1 and behaves on small counts, where the normal
approximation does not), and a group with fewer than :data:`SMALL_SAMPLE` pairs is marked small.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.interactions import Pair, PairTally, is_surprise
from shared.ratings import Outcome

Z95 = 1.959964  # the normal quantile for a two-sided 95 % interval
SMALL_SAMPLE = 30


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` out of ``trials``; None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Share:
    """``count`` of ``total`` with its 95 % interval; ``value`` and ``interval`` are None for 0 of 0."""

    count: int
    total: int

    @property
    def value(self) -> float | None:
        return None if self.total == 0 else self.count / self.total

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.count, self.total)


@dataclass(frozen=True, slots=True)
class Gap:
    """One group's pairs: the staff's and the customers' shares of each outcome, and how often they agreed."""

    pairs: int
    staff: Mapping[Outcome, Share]
    customers: Mapping[Outcome, Share]
    agreement: Share

    @property
    def small(self) -> bool:
        """Too few pairs for the shares to mean much: shown, but marked."""
        return self.pairs < SMALL_SAMPLE


@dataclass(frozen=True, slots=True)
class Perception:
    """The gap overall, by member of staff and by station (most pairs first), and the surprises."""

    overall: Gap
    by_staff: dict[str, Gap]
    by_station: dict[str, Gap]
    surprises: tuple[Pair, ...] = field(default=())  # staff said met or exceeded, the customer below


def gap(counts: Mapping[tuple[Outcome, Outcome], int]) -> Gap:
    """The figures of one group, from its pairs counted by (staff's view, customer's answer)."""
    total = sum(counts.values())
    views: Counter[Outcome] = Counter()
    answers: Counter[Outcome] = Counter()
    agreed = 0
    for (view, answer), count in counts.items():
        views[view] += count
        answers[answer] += count
        agreed += count if view is answer else 0
    return Gap(
        total,
        {outcome: Share(views[outcome], total) for outcome in Outcome},
        {outcome: Share(answers[outcome], total) for outcome in Outcome},
        Share(agreed, total),
    )


def perception(counted: PairTally) -> Perception:
    """The gap overall, by staff and by station, from a period's tally (one pass over its counts)."""
    overall: Counter[tuple[Outcome, Outcome]] = Counter()
    staff: dict[str, Counter[tuple[Outcome, Outcome]]] = {}
    stations: dict[str, Counter[tuple[Outcome, Outcome]]] = {}
    for (member, station, view, answer), count in counted.counts.items():
        overall[view, answer] += count
        staff.setdefault(member, Counter())[view, answer] += count
        stations.setdefault(station, Counter())[view, answer] += count
    return Perception(
        overall=gap(overall),
        by_staff=_ranked(staff),
        by_station=_ranked(stations),
        surprises=tuple(sorted(counted.surprises, key=lambda pair: pair.rating_ts)),
    )


def tally(pairs: Iterable[Pair]) -> PairTally:
    """Count pairs already in memory (the store counts them as it reads, without building each)."""
    pairs = list(pairs)
    counts = Counter((pair.staff, pair.station, pair.view, pair.answer) for pair in pairs)
    return PairTally(dict(counts), tuple(pair for pair in pairs if is_surprise(pair.view, pair.answer)))


def _ranked(groups: dict[str, Counter[tuple[Outcome, Outcome]]]) -> dict[str, Gap]:
    """Most pairs first, then by name."""
    ranked = sorted(groups.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return {name: gap(counts) for name, counts in ranked}
