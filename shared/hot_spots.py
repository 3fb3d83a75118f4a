"""Hot spots: a station where many answers fall short within minutes, and great streaks where none do.

Pure: the answers of the last window and ``now`` are passed in. HappyOrNot's most used alert is a
rate over a window; its suggested start, and our default: at least 4 answers at one station within
15 minutes, half of them or more fell short. A station is alerted at most once per window: after an
alert at 10:02, the next for that station comes at 10:17 at the earliest, however bad 10:05 is.
A great streak is the mirror image (optional): at least ``min_answers`` answers in the window and
none fell short.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.config import ConfigError


class SpotKind(StrEnum):
    HOT_SPOT = "hot_spot"
    GREAT_STREAK = "great_streak"


@dataclass(frozen=True, slots=True)
class WindowRule:
    """When a station's last ``window`` of answers calls for an alert."""

    kind: SpotKind = SpotKind.HOT_SPOT
    share: float = 0.5  # fell short among answers, at least (a great streak: none)
    window: timedelta = timedelta(minutes=15)
    min_answers: int = 4

    def crossed(self, answers: int, below: int) -> bool:
        if answers < self.min_answers:
            return False
        if self.kind is SpotKind.GREAT_STREAK:
            return below == 0
        return below / answers >= self.share


@dataclass(frozen=True, slots=True)
class Answer:
    """What the window needs of one rating."""

    at: datetime
    station: str
    below: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Spot:
    """A station that crossed a rule in the window ending ``at``."""

    kind: SpotKind
    station: str
    at: datetime
    window: timedelta
    answers: int
    below: int
    top_reason: str  # the most given reason among the fell-short answers ("" when none was given)

    @property
    def share(self) -> float:
        return self.below / self.answers if self.answers else 0.0

    def to_record(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "station": self.station,
            "at": self.at.isoformat(),
            "window_seconds": round(self.window.total_seconds()),
            "answers": self.answers,
            "below": self.below,
            "top_reason": self.top_reason,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Spot:
        return cls(
            kind=SpotKind(record["kind"]),
            station=str(record["station"]),
            at=datetime.fromisoformat(record["at"]),
            window=timedelta(seconds=int(record["window_seconds"])),
            answers=int(record["answers"]),
            below=int(record["below"]),
            top_reason=str(record.get("top_reason", "")),
        )


class AnswerWindow:
    """The answers of the last minutes by rating id, kept between looks: a watcher then reads only what changed.

    Fed what the store says changed since the last look (new or changed answers, ids erased, or the
    whole window anew); answers that leave the window are dropped, so it holds minutes, never a day.
    """

    def __init__(self) -> None:
        self._answers: dict[str, Answer] = {}

    def apply(self, changed: Mapping[str, Answer | None], gone: Iterable[str] = (), *, anew: bool = False) -> None:
        """Put in the answers changed (None: no longer counted, a suspect tap), take out ``gone``; ``anew``:
        ``changed`` is the whole window."""
        if anew:
            self._answers.clear()
        for key in gone:
            self._answers.pop(key, None)
        for key, answer in changed.items():
            self._answers.pop(key, None)  # a changed answer takes its new place in the order
            if answer is not None:
                self._answers[key] = answer

    def drop_until(self, moment: datetime) -> None:
        """Forget the answers at ``moment`` or before: they have left every window."""
        for key in [key for key, answer in self._answers.items() if answer.at <= moment]:
            del self._answers[key]

    def answers(self) -> list[Answer]:
        return list(self._answers.values())

    def __len__(self) -> int:
        return len(self._answers)


def spots(answers: Iterable[Answer], rule: WindowRule, now: datetime) -> list[Spot]:
    """The stations whose answers in (now - window, now] cross ``rule``, by station name."""
    start = now - rule.window
    counts: dict[str, list[int]] = {}
    reasons: dict[str, Counter[str]] = {}
    for answer in answers:
        if not start < answer.at <= now:
            continue
        tally = counts.setdefault(answer.station, [0, 0])
        tally[0] += 1
        if answer.below:
            tally[1] += 1
            reasons.setdefault(answer.station, Counter()).update(answer.reasons)
    found = []
    for station, (total, below) in sorted(counts.items()):
        if rule.crossed(total, below):
            ranked = sorted(reasons.get(station, Counter()).items(), key=lambda item: (-item[1], item[0]))
            top = ranked[0][0] if ranked else ""
            found.append(Spot(rule.kind, station, now, rule.window, total, below, top))
    return found


def is_due(spot: Spot, last_alert: datetime | None) -> bool:
    """One alert per window and station: none before, or the last one a whole window ago."""
    return last_alert is None or spot.at - last_alert >= spot.window


def parse_rule(table: Any, kind: SpotKind, where: str) -> WindowRule | None:
    """``{ share = 0.5, window_minutes = 15, min_answers = 4 }`` (a great streak has no share); ``false`` is off."""
    if table is False:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table such as {{ window_minutes = 15, min_answers = 4 }}, or false")
    known = {"window_minutes", "min_answers"} | ({"share"} if kind is SpotKind.HOT_SPOT else set())
    if unknown := set(table) - known:
        raise ConfigError(f"unknown setting(s) in {where}: {', '.join(sorted(unknown))}")
    defaults = WindowRule()
    share = table.get("share", defaults.share)
    minutes = table.get("window_minutes", 15 if kind is SpotKind.HOT_SPOT else 60)
    least = table.get("min_answers", defaults.min_answers if kind is SpotKind.HOT_SPOT else 10)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ConfigError(f"{where} share must be a fraction above 0 and at most 1 (0.5 is half), not {share!r}")
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes <= 24 * 60:
        raise ConfigError(f"{where} window_minutes must be a number of minutes from 1 to 1440, not {minutes!r}")
    if isinstance(least, bool) or not isinstance(least, int) or least < 1:
        raise ConfigError(f"{where} min_answers must be a whole number of at least 1, not {least!r}")
    return WindowRule(kind, float(share), timedelta(minutes=minutes), least)
