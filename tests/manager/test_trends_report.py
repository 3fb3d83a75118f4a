"""Trends, the period before and what customers wrote, on two weeks worked out by hand (trend_dataset.py)."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from manager.report import gather, render_csv, render_html, render_text
from manager.report_json import render_json
from manager.report_trends import TrendOptions
from shared.followups import FollowUpKind
from shared.stats import OutcomeCounts, Stats
from shared.store import FeedbackStore
from shared.trends import Span, two_proportion_p, wilson
from shared.written import Filter, Source

from . import trend_dataset as data

TARGET = timedelta(minutes=15)
ZONE = ZoneInfo(data.ZONE)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FeedbackStore:
    store = FeedbackStore(tmp_path_factory.mktemp("trends") / "data")
    data.build(store)
    return store


def report(store: FeedbackStore, **options: object) -> Stats:
    return gather(
        store,
        since=data.SINCE,
        until=data.UNTIL,
        zone=ZONE,
        now=data.NOW,
        target=TARGET,
        trends=TrendOptions(**options),
    )


@pytest.fixture(scope="module")
def stats(store: FeedbackStore) -> Stats:
    return report(store, compare=True)


def test_wilson_interval_by_hand() -> None:
    # 2 of 4: p = .5, z² = 3.8415: centre .5, half 1.96·√(.0625 + .0600)/1.9604 = .3500
    assert wilson(2, 4) == pytest.approx((0.1500, 0.8500), abs=1e-4)
    # 0 of 3 is not "exactly 0 %": centre = half = (3.8415/6)/(1 + 1.2805) = .2807
    assert wilson(0, 3) == pytest.approx((0.0, 0.5615), abs=1e-4)
    assert wilson(5, 5)[1] == 1.0 and wilson(0, 0) is None


def test_two_proportion_test_by_hand() -> None:
    # 10/20 against 2/20: pooled .3, se = √(.3·.7·.1) = .14491, z = .4/.14491 = 2.7603, p = erfc(z/√2)
    assert two_proportion_p(10, 20, 2, 20) == pytest.approx(0.00577, abs=1e-5)
    assert two_proportion_p(1, 10, 1, 10) == pytest.approx(1.0)
    assert two_proportion_p(0, 5, 0, 5) is None and two_proportion_p(3, 4, 0, 0) is None


def test_day_by_day(stats: Stats) -> None:
    assert stats.trends is not None
    assert [(span.since, span.counts) for span in stats.trends.days] == [
        (date(2026, 11, 5), OutcomeCounts(below=1, met=3, exceeded=0)),
        (date(2026, 11, 7), OutcomeCounts(below=1, met=0, exceeded=1)),
        (date(2026, 11, 9), OutcomeCounts(below=2, met=1, exceeded=0)),
        (date(2026, 11, 10), OutcomeCounts(below=1, met=2, exceeded=1)),
    ]


def test_week_by_week_is_cut_to_the_period(stats: Stats) -> None:
    assert stats.trends is not None
    w45, w46 = stats.trends.weeks
    assert (w45.name, w45.since, w45.until, w45.counts) == (
        "2026-W45",
        date(2026, 11, 5),
        date(2026, 11, 8),
        OutcomeCounts(2, 3, 1),
    )
    assert (w46.name, w46.since, w46.until, w46.counts) == (
        "2026-W46",
        date(2026, 11, 9),
        date(2026, 11, 10),
        OutcomeCounts(3, 3, 1),
    )
    # 2 of 6 short: centre (.3333 + .3201)/1.6402 = .3984, half 1.96·√(.0370 + .0267)/1.6402 = .3016
    assert w45.below_share == pytest.approx(1 / 3)
    assert w45.below_interval == pytest.approx((0.0968, 0.7000), abs=1e-4)
    assert w45.met_or_exceeded_interval == pytest.approx((0.3000, 0.9032), abs=1e-4)  # the mirror image


def test_by_station_staff_and_channel(stats: Stats) -> None:
    assert stats.trends is not None
    weeks = stats.trends.group_weeks
    assert {name: [s.counts for s in spans] for name, spans in weeks["station"].items()} == {
        "front": [OutcomeCounts(2, 3, 1), OutcomeCounts(0, 2, 1)],
        "drive-in": [OutcomeCounts(3, 1, 0)],
    }
    assert {name: [s.counts for s in spans] for name, spans in weeks["staff"].items()} == {
        "ann": [OutcomeCounts(1, 3, 0), OutcomeCounts(0, 2, 1)],
        "bob": [OutcomeCounts(1, 0, 1)],
        "": [OutcomeCounts(3, 1, 0)],
    }
    assert {name: [s.counts for s in spans] for name, spans in weeks["channel"].items()} == {
        "kiosk": [OutcomeCounts(2, 3, 1), OutcomeCounts(0, 2, 1)],
        "sms": [OutcomeCounts(3, 1, 0)],
    }
    days = stats.trends.group_days["station"]["drive-in"]
    assert [(s.since, s.counts) for s in days] == [
        (date(2026, 11, 9), OutcomeCounts(2, 1, 0)),
        (date(2026, 11, 10), OutcomeCounts(1, 0, 0)),
    ]


def test_reasons_over_time_with_the_change_against_the_period_before(stats: Stats) -> None:
    assert stats.trends is not None
    wait = stats.trends.reason_days["wait_time"]
    assert [(s.count, s.change) for s in wait] == [(1, None), (0, -1), (0, 0), (0, 0), (2, 2), (1, -1)]
    weekly = {key: [(s.since, s.count, s.change) for s in spans] for key, spans in stats.trends.reason_weeks.items()}
    assert weekly == {
        "price": [(date(2026, 11, 5), 1, None), (date(2026, 11, 9), 0, -1)],
        "rude": [(date(2026, 11, 5), 0, None), (date(2026, 11, 9), 1, 1)],
        "wait_time": [(date(2026, 11, 5), 1, None), (date(2026, 11, 9), 3, 2)],
    }


def test_compare_previous_flags_only_changes_unlikely_to_be_noise(stats: Stats) -> None:
    comparison = stats.comparison
    assert comparison is not None and (comparison.since, comparison.until) == (date(2026, 10, 30), date(2026, 11, 4))
    changes = {(c.subject, c.name): c for c in comparison.changes}
    total = changes["total", ""]
    # 5 of 13 short against 0 of 10: pooled 5/23, se .17349, z 2.2169, p = erfc(z/√2) = .0266
    assert (total.before_part, total.before_whole, total.after_part, total.after_whole) == (0, 10, 5, 13)
    assert total.p_value == pytest.approx(0.0266, abs=1e-4) and total.notable
    # front: 2 of 9 against 0 of 10: z = .2222/.14101 = 1.576, p = .115: could be noise
    assert changes["station", "front"].p_value == pytest.approx(0.1150, abs=1e-3)
    assert not changes["station", "front"].notable
    # drive-in had no answers before: nothing to test, never flagged
    assert changes["station", "drive-in"].p_value is None and not changes["station", "drive-in"].notable
    assert [(c.subject, c.name) for c in comparison.notable] == [("total", "")]
    assert math.isclose(changes["reason", "wait_time"].after or 0, 4 / 13)


def test_without_compare_there_is_no_comparison(store: FeedbackStore) -> None:
    assert report(store).comparison is None


def test_what_customers_wrote_newest_first_numbers_masked(stats: Stats) -> None:
    assert stats.writings is not None
    items = [(w.at.astimezone(ZONE).strftime("%d %H:%M"), w.source, w.kind, w.text) for w in stats.writings.items]
    assert items == [
        ("10 16:00", Source.COMMENT, FollowUpKind.FELL_SHORT, "rude staff, long wait"),
        ("10 08:00", Source.LATER, FollowUpKind.FELL_SHORT, "still waiting for a call back"),
        ("09 13:00", Source.COMMENT, FollowUpKind.FELL_SHORT, "Long wait again"),
        ("09 12:00", Source.COMMENT, FollowUpKind.FELL_SHORT, "The wait was too long"),
        ("07 15:00", Source.COMMENT, FollowUpKind.TO_READ, "Is the shop open Sunday?"),
        ("07 13:00", Source.COMMENT, FollowUpKind.FELL_SHORT, "Charged twice, call ••• ••• ••34"),
    ]


def test_frequent_words_of_fell_short_comments(stats: Stats) -> None:
    assert stats.writings is not None
    frequent = stats.writings.frequent
    assert frequent.comments == 5  # the text to read is no fell-short comment
    assert frequent.words == (
        ("long", 3),
        ("wait", 3),
        ("call", 2),
        ("back", 1),
        ("charged", 1),
        ("rude", 1),
        ("staff", 1),
        ("twice", 1),
        ("waiting", 1),
    )
    assert frequent.phrases == (("long wait", 2),)
    assert [w for w, _ in stats.writings.frequent_by_week["2026-W46"].words] == ["long", "wait", "back", "call", "rude"]


@pytest.mark.parametrize(
    ("only", "count"),
    [
        (Filter(station="drive-in"), 5),
        (Filter(reason="price"), 1),
        (Filter(kind=FollowUpKind.TO_READ), 1),
        (Filter(station="front", kind=FollowUpKind.FELL_SHORT), 1),
        (Filter(station="nowhere"), 0),
    ],
)
def test_what_customers_wrote_is_filtered(store: FeedbackStore, only: Filter, count: int) -> None:
    writings = report(store, only=only).writings
    assert writings is not None and writings.total == len(writings.items) == count


def test_the_period_filters_what_customers_wrote(store: FeedbackStore) -> None:
    day = date(2026, 11, 9)
    stats = gather(store, since=day, until=day, zone=ZONE, now=data.NOW, target=TARGET, trends=TrendOptions())
    assert stats.writings is not None and [w.text for w in stats.writings.items] == [
        "Long wait again",
        "The wait was too long",
    ]


def test_json_has_days_weeks_trends_comparison_and_wrote(stats: Stats) -> None:
    document = json.loads(render_json(stats, labels={"wait_time": "Queue"}))
    assert list(document)[-4:] == ["weeks", "trends", "comparison", "wrote"]
    assert document["days"][0] == {
        "date": "2026-11-05",
        "answers": 4,
        "below": 1,
        "met": 3,
        "exceeded": 0,
        "met_or_exceeded_share": 0.75,
        "met_or_exceeded_interval": pytest.approx([0.3006, 0.9544], abs=1e-4),
        "below_share": 0.25,
        "below_interval": pytest.approx([0.0456, 0.6994], abs=1e-4),
    }
    week = document["weeks"][1]
    assert (week["week"], week["since"], week["until"], week["answers"], week["below"]) == (
        "2026-W46",
        "2026-11-09",
        "2026-11-10",
        7,
        3,
    )
    stations = {entry["name"]: entry for entry in document["trends"]["stations"]}
    assert [d["date"] for d in stations["drive-in"]["days"]] == ["2026-11-09", "2026-11-10"]
    reason = next(r for r in document["trends"]["reasons"] if r["key"] == "wait_time")
    assert reason["label"] == "Queue" and reason["weeks"][1] == {"since": "2026-11-09", "below": 3, "change": 2}
    assert document["comparison"]["changes"][0]["subject"] == "total"
    assert document["comparison"]["changes"][0]["notable"] is True
    assert "two-proportion" in document["comparison"]["test"]
    assert document["wrote"]["total"] == 6 and document["wrote"]["items"][-1]["text"].endswith("••34")
    assert document["wrote"]["frequent"]["phrases"] == [{"term": "long wait", "count": 2}]


def test_text_csv_and_html_show_the_trends(stats: Stats) -> None:
    text = render_text(stats)
    assert "2026-W45 (05 Nov–08 Nov)" in text and "10–70 %" in text  # 2 of 6: 9.7–70.0 %
    assert "! all answers: fell short 0 % → 38 % (0 of 10 → 5 of 13), p = 0.027" in text
    assert "Charged twice, call ••• ••• ••34" in text and "555" not in text
    rows = list(csv.reader(io.StringIO(render_csv(stats))))
    assert ["week", "2026-W45", "below", "2"] in rows
    assert ["station_week", "drive-in", "2026-W46 below", "3"] in rows
    assert ["comparison", "total", "notable", "yes"] in rows
    page = render_html(stats)
    assert "<svg" in page and "fell-short share by week" in page and "Long wait again" in page


def test_hostile_comments_stay_text(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data")
    from shared.ratings import Channel, Outcome, Rating

    when = data.local(9, 12)
    hostile = '<script>alert(1)</script> =HYPERLINK("x") [@click=app.quit] \x1b[2J'
    store.record_rating(
        Rating(id="h1", ts=when, outcome=Outcome.BELOW, channel=Channel.KIOSK, station="<b>", comment=hostile), now=when
    )
    stats = report(store)
    page = render_html(stats)
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    assert "\x1b" not in render_text(stats) and "␛[2J" in render_text(stats)
    rows = list(csv.reader(io.StringIO(render_csv(stats))))
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_a_span_of_one_day_is_named_by_its_date() -> None:
    assert Span(date(2026, 11, 9), date(2026, 11, 9), OutcomeCounts()).name == "2026-11-09"
