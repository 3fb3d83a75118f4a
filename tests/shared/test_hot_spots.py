"""The hot-spot window, pure, moved by a fake clock: 4 answers within 15 minutes, half short, once per window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from shared.config import ConfigError
from shared.hot_spots import Answer, Spot, SpotKind, WindowRule, is_due, parse_rule, spots
from tests.clocks import FakeClock

RULE = WindowRule()  # the defaults: share 0.5, 15 minutes, 4 answers
STREAK = WindowRule(SpotKind.GREAT_STREAK, window=timedelta(minutes=60), min_answers=10)


class Counter:
    """Answers at the counter, each a minute after the last."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.answers: list[Answer] = []

    def answer(self, station: str, below: bool, *reasons: str, minutes: float = 1) -> None:
        self.answers.append(Answer(self.clock.advance(minutes=minutes), station, below, reasons))


@pytest.fixture
def counter() -> Counter:
    return Counter(FakeClock())


def test_half_of_four_answers_short_within_15_minutes_is_a_hot_spot(counter: Counter) -> None:
    counter.answer("Till 1", True, "wait_time")
    counter.answer("Till 1", False)
    counter.answer("Till 1", True, "wait_time", "rude")
    assert spots(counter.answers, RULE, counter.clock()) == []  # 3 answers: too few to say
    counter.answer("Till 1", False)
    [spot] = spots(counter.answers, RULE, counter.clock())
    assert (spot.station, spot.answers, spot.below, spot.share, spot.top_reason) == ("Till 1", 4, 2, 0.5, "wait_time")
    assert spot.kind is SpotKind.HOT_SPOT and spot.at == counter.clock()


def test_less_than_half_short_is_no_hot_spot(counter: Counter) -> None:
    for below in (True, False, False, False, True, False):
        counter.answer("Till 1", below)
    assert spots(counter.answers, RULE, counter.clock()) == []  # 2 of 6


def test_answers_older_than_the_window_do_not_count(counter: Counter) -> None:
    for _ in range(3):
        counter.answer("Till 1", True)
    counter.answer("Till 1", True, minutes=13)  # the first is now 15 minutes old: out
    assert spots(counter.answers, RULE, counter.clock()) == []
    counter.clock.advance(minutes=20)
    assert spots(counter.answers, RULE, counter.clock()) == []


def test_each_station_has_its_own_window(counter: Counter) -> None:
    for _ in range(2):
        counter.answer("Till 1", True)
        counter.answer("Patio", True)
        counter.answer("Patio", False)
    found = spots(counter.answers, RULE, counter.clock())
    assert [(s.station, s.answers, s.below) for s in found] == [("Patio", 4, 2)]  # Till 1 has only 2


def test_one_alert_per_window_and_station(counter: Counter) -> None:
    for _ in range(4):
        counter.answer("Till 1", True)
    [first] = spots(counter.answers, RULE, counter.clock())
    assert is_due(first, None)
    for minutes in (11, 1, 1, 1):
        counter.answer("Till 1", True, minutes=minutes)
    [again] = spots(counter.answers, RULE, counter.clock())
    assert not is_due(again, first.at)  # 14 minutes after the alert: the same window
    counter.answer("Till 1", True)
    [later] = spots(counter.answers, RULE, counter.clock())
    assert is_due(later, first.at) and later.below == 5  # a whole window later: alerted again


def test_the_top_reason_is_the_most_given_then_by_name(counter: Counter) -> None:
    counter.answer("Till 1", True, "rude", "price")
    counter.answer("Till 1", True, "price")
    counter.answer("Till 1", True, "rude")
    counter.answer("Till 1", True)
    assert spots(counter.answers, RULE, counter.clock())[0].top_reason == "price"


def test_a_great_streak_is_ten_answers_in_an_hour_none_short(counter: Counter) -> None:
    for _ in range(9):
        counter.answer("Patio", False, minutes=5)
    assert spots(counter.answers, STREAK, counter.clock()) == []
    counter.answer("Patio", False, minutes=5)
    [streak] = spots(counter.answers, STREAK, counter.clock())
    assert (streak.kind, streak.answers, streak.below) == (SpotKind.GREAT_STREAK, 10, 0)
    counter.answer("Patio", True)
    assert spots(counter.answers, STREAK, counter.clock()) == []


def test_a_spot_survives_the_store() -> None:
    spot = Spot(SpotKind.HOT_SPOT, "Till [1]", FakeClock()(), timedelta(minutes=15), 4, 3, "wait_time")
    assert Spot.from_record(spot.to_record()) == spot


def test_settings_are_read_with_clear_errors() -> None:
    assert parse_rule({}, SpotKind.HOT_SPOT, "[alerts] hot_spot") == RULE
    assert parse_rule(False, SpotKind.HOT_SPOT, "[alerts] hot_spot") is None
    assert parse_rule({}, SpotKind.GREAT_STREAK, "[alerts] great_streak") == STREAK
    custom = parse_rule({"share": 0.4, "window_minutes": 30, "min_answers": 6}, SpotKind.HOT_SPOT, "x")
    assert custom == WindowRule(SpotKind.HOT_SPOT, 0.4, timedelta(minutes=30), 6)
    for table, message in [
        ({"share": 50}, "share must be a fraction"),
        ({"window_minutes": 0}, "window_minutes"),
        ({"min_answers": 2.5}, "min_answers"),
        ({"shares": 0.5}, "unknown setting(s) in [alerts] hot_spot: shares"),
        ("yes", "must be a table"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            parse_rule(table, SpotKind.HOT_SPOT, "[alerts] hot_spot")
