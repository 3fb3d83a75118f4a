"""The perception gap: what staff believed against what the customer said, on the same interactions.

Pure. The input is the paired views (:class:`shared.interactions.Pair`), never the ratings: a
report reads the pairs of its period and nothing else. Every share comes with its count and a
95 % Wilson score interval (it stays inside 0–1 and behaves on small counts, where the normal
approximation does not), and a group with fewer than :data:`SMALL_SAMPLE` pairs is marked small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from shared.interactions import Pair
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


def gap(pairs: Iterable[Pair]) -> Gap:
    """The figures of one group of pairs."""
    pairs = list(pairs)
    total = len(pairs)

    def shares(of: Callable[[Pair], Outcome]) -> dict[Outcome, Share]:
        return {outcome: Share(sum(1 for pair in pairs if of(pair) is outcome), total) for outcome in Outcome}

    agreed = sum(1 for pair in pairs if pair.view is pair.answer)
    return Gap(total, shares(lambda pair: pair.view), shares(lambda pair: pair.answer), Share(agreed, total))


def is_surprise(pair: Pair) -> bool:
    """Staff thought it went well (met or exceeded); the customer said we fell short."""
    return pair.view is not Outcome.BELOW and pair.answer is Outcome.BELOW


def perception(pairs: Iterable[Pair]) -> Perception:
    """Group the pairs, and pick the interactions staff thought went well that the customer rated below."""
    pairs = list(pairs)
    return Perception(
        overall=gap(pairs),
        by_staff=_grouped(pairs, lambda pair: pair.staff),
        by_station=_grouped(pairs, lambda pair: pair.station),
        surprises=tuple(sorted((pair for pair in pairs if is_surprise(pair)), key=lambda pair: pair.rating_ts)),
    )


def _grouped(pairs: list[Pair], key: Callable[[Pair], str]) -> dict[str, Gap]:
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(key(pair), []).append(pair)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return {name: gap(members) for name, members in ranked}
