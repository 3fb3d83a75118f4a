"""Statistics and reports on a history whose every figure is known (see dataset.py)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from manager.report import gather, render_csv, render_html, render_text
from manager.report_json import render_json
from shared.stats import OutcomeCounts, Stats, compute, local_days
from shared.store import FeedbackStore

from . import dataset

TARGET = timedelta(minutes=15)


@pytest.fixture
def history(tmp_path: Path) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "data")
    dataset.build(store)
    return store


@pytest.fixture
def day_stats(history: FeedbackStore) -> Stats:
    return gather(
        history, since=dataset.DAY, until=dataset.DAY, zone=ZoneInfo(dataset.ZONE), now=dataset.NOW, target=TARGET
    )


def test_every_figure_of_the_report_day(day_stats: Stats) -> None:
    s = day_stats
    assert (s.answers, s.below, s.totals.met, s.totals.exceeded, s.suspect) == (10, 3, 4, 3, 4)
    assert s.met_or_exceeded_share == pytest.approx(0.7)
    assert s.exceeded_share == pytest.approx(0.3)
    assert s.below_by_reason == {"wait time": 2, "price": 1, "rude": 1}
    assert s.by_channel == {"kiosk": OutcomeCounts(2, 4, 2), "sms": OutcomeCounts(1, 0, 1)}
    assert s.by_station == {
        "front": OutcomeCounts(2, 3, 2),
        "drive-in": OutcomeCounts(1, 0, 1),
        "back": OutcomeCounts(0, 1, 0),
    }
    assert s.by_staff == {
        "bob": OutcomeCounts(2, 0, 0),
        "": OutcomeCounts(1, 0, 1),
        "ann": OutcomeCounts(0, 3, 2),
        "cy": OutcomeCounts(0, 1, 0),
    }
    assert s.shoutouts == {"ann": 1}
    expected_hours = [0] * 24
    expected_hours[9], expected_hours[10], expected_hours[11], expected_hours[21] = 5, 2, 2, 1
    assert s.answers_by_hour == tuple(expected_hours)
    assert s.answers_by_day == {dataset.DAY: OutcomeCounts(3, 4, 3)}
    assert (s.followups, s.claimed, s.resolved, s.still_open) == (3, 2, 2, 1)
    assert s.median_to_claim == timedelta(minutes=6)
    assert s.median_to_resolve == timedelta(minutes=20)
    assert (s.within_target, s.decided) == (1, 3)
    assert s.within_target_share == pytest.approx(1 / 3)


def test_the_day_before_is_cut_at_local_midnight(history: FeedbackStore) -> None:
    day = dataset.DAY - timedelta(days=1)
    s = gather(history, since=day, until=day, zone=ZoneInfo(dataset.ZONE), now=dataset.NOW, target=TARGET)
    assert (s.answers, s.below, s.totals.met) == (2, 1, 1)
    assert s.answers_by_hour[23] == 1 and s.answers_by_hour[12] == 1
    assert (s.followups, s.resolved, s.within_target, s.decided) == (1, 1, 1, 1)
    assert s.median_to_claim == s.median_to_resolve == timedelta(minutes=5)


def test_two_days_add_up(history: FeedbackStore) -> None:
    s = gather(
        history,
        since=dataset.DAY - timedelta(days=1),
        until=dataset.DAY,
        zone=ZoneInfo(dataset.ZONE),
        now=dataset.NOW,
        target=TARGET,
    )
    assert (s.answers, s.below, s.followups) == (12, 4, 4)
    assert list(s.answers_by_day) == [dataset.DAY - timedelta(days=1), dataset.DAY]
    assert s.median_to_resolve == timedelta(minutes=10)


def test_an_empty_period_has_no_shares_rather_than_zero_percent() -> None:
    zone = ZoneInfo("UTC")
    s = compute({}, [], since=dataset.DAY, until=dataset.DAY, zone=zone, now=dataset.NOW, target=TARGET)
    assert s.answers == 0 and s.met_or_exceeded_share is None and s.within_target_share is None
    assert "Met or exceeded          –" in render_text(s)


def test_local_days_for_today_and_the_last_seven() -> None:
    zone = ZoneInfo(dataset.ZONE)
    assert local_days("today", dataset.NOW, zone) == (dataset.DAY, dataset.DAY)
    assert local_days("7d", dataset.NOW, zone) == (dataset.DAY - timedelta(days=6), dataset.DAY)


def test_the_text_report_shows_every_figure(day_stats: Stats) -> None:
    text = render_text(day_stats, business="Corner Café")
    assert text.startswith("Feedback report for Corner Café: Tue 10 Nov 2026 (America/New_York)")
    for line in [
        "Answers                  10",
        "Met or exceeded          70 %",
        "Exceeded                 30 %",
        "Fell short               3",
        "Suspect taps (left out)  4",
        "Median time to claim     6 min",
        "Median time to resolve   20 min",
        "Resolved within 15 min   33 %",
        "Still open               1",
    ]:
        assert line in text
    assert re.search(r"Wait time\s+2", text)  # a key no longer configured reads as words
    assert re.search(r"front\s+7\s+2\s+71 %", text)
    assert re.search(r"09:00\s+5 █{40}$", text, re.MULTILINE)


def test_the_csv_report_holds_every_figure(day_stats: Stats) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(day_stats))))
    assert rows[0] == ["section", "name", "measure", "value"]
    figures = {(section, name, measure): value for section, name, measure, value in rows[1:]}
    total = {measure: value for (section, _, measure), value in figures.items() if section == "total"}
    assert total == {
        "answers": "10",
        "below": "3",
        "met": "4",
        "exceeded": "3",
        "met_or_exceeded_share": "0.7000",
        "exceeded_share": "0.3000",
        "suspect": "4",
        "followups": "3",
        "claimed": "2",
        "resolved": "2",
        "still_open": "1",
        "median_seconds_to_claim": "360",
        "median_seconds_to_resolve": "1200",
        "target_seconds": "900",
        "resolved_within_target": "1",
        "resolved_within_target_share": "0.3333",
    }
    assert figures["reason", "Rude", "below"] == "1"
    assert figures["station", "drive-in", "answers"] == "2"
    assert figures["staff", "bob", "below"] == "2"
    assert figures["channel", "sms", "exceeded"] == "1"
    assert figures["shoutout", "ann", "count"] == "1"
    assert [figures["hour", f"{hour:02d}", "answers"] for hour in (9, 10, 11, 21, 0)] == ["5", "2", "2", "1", "0"]
    assert figures["day", "2026-11-10", "answers"] == "10"


def test_the_html_report_is_one_self_contained_file_with_charts(day_stats: Stats) -> None:
    page = render_html(day_stats, business="Corner <Café>")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "Corner &lt;Café&gt;" in page
    assert page.count("<svg") == 1  # one day: the hour chart only
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", page).count("http") == 0
    assert "<title>09:00 – 5 answers</title>" in page
    assert "Met or exceeded<b>70 %</b>" in page


def test_feedback_report_command_writes_each_format(history: FeedbackStore, tmp_path: Path) -> None:
    config = tmp_path / "shop.toml"
    config.write_text(
        f'timezone = "{dataset.ZONE}"\nbusiness_name = "Corner Café"\n[kiosk]\nreasons = {{ "wait time" = "Queue" }}\n',
        encoding="utf-8",
    )
    base = [sys.executable, "-m", "feedback", "report", "--data", str(history.root), "--config", str(config)]
    days = ["--since", "2026-11-10", "--until", "2026-11-10"]
    text = subprocess.run([*base, *days], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "Answers                  10" in text and "Resolved within 15 min   33 %" in text
    assert re.search(r"Queue\s+2", text) and "wait time" not in text
    out = tmp_path / "week.html"
    done = subprocess.run(
        [*base, "--since", "2026-11-04", "--until", "2026-11-10", "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote the html report" in done.stderr
    assert out.read_text(encoding="utf-8").count("<svg") == 3  # hours, days and the weekly fell-short share
    wrong = subprocess.run([*base, "--since", "2026-11-10", "--until", "2026-11-01"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "--since is after --until" in wrong.stderr


def test_every_format_shows_the_shops_reason_labels(day_stats: Stats) -> None:
    labels = {"wait time": "Queue too long", "rude": "Manners", "price": "Manners"}
    text = render_text(day_stats, labels=labels)
    assert re.search(r"Manners\s+2", text) and re.search(r"Queue too long\s+2", text)  # one label, counts added
    assert "wait time" not in text and "rude" not in text
    rows = list(csv.reader(io.StringIO(render_csv(day_stats, labels=labels))))
    assert ["reason", "Manners", "below", "2"] in rows and ["reason", "Queue too long", "below", "2"] in rows
    page = render_html(day_stats, labels={**labels, "rude": "<b>Manners</b>"})
    assert "<td>&lt;b&gt;Manners&lt;/b&gt;</td>" in page and "<td>wait time</td>" not in page


def test_the_json_report_has_stable_keys_and_every_figure(day_stats: Stats) -> None:
    document = json.loads(render_json(day_stats, business="Corner <Café>", labels={"wait time": "Queue"}))
    assert list(document)[:13] == [  # later sections add keys after these (see test_trends_report.py)
        *("schema", "business", "period", "totals", "channels", "stations"),
        *("staff", "reasons", "shoutouts", "hours", "days", "perception", "recovery"),
    ]
    assert document["schema"] == 1 and document["business"] == "Corner <Café>"
    assert document["period"] == {"since": "2026-11-10", "until": "2026-11-10", "timezone": dataset.ZONE}
    totals = document["totals"]
    assert (totals["answers"], totals["below"], totals["met"], totals["exceeded"]) == (10, 3, 4, 3)
    assert totals["met_or_exceeded_share"] == pytest.approx(0.7) and totals[
        "resolved_within_target_share"
    ] == pytest.approx(1 / 3)
    assert (totals["median_seconds_to_claim"], totals["median_seconds_to_resolve"], totals["target_seconds"]) == (
        360,
        1200,
        900,
    )
    assert {"name": "", "answers": 2, "below": 1, "met": 0, "exceeded": 1, "met_or_exceeded_share": 0.5} in document[
        "staff"
    ]
    assert document["reasons"][0] == {"key": "wait time", "label": "Queue", "below": 2}
    assert document["hours"][9] == {"hour": 9, "answers": 5}
    [day] = document["days"]
    expected = {"date": "2026-11-10", "answers": 10, "below": 3, "met": 4, "exceeded": 3, "met_or_exceeded_share": 0.7}
    assert expected.items() <= day.items()


def test_an_empty_json_report_has_null_shares_not_zero() -> None:
    empty = compute(
        {}, [], since=dataset.DAY, until=dataset.DAY, zone=ZoneInfo(dataset.ZONE), now=dataset.NOW, target=TARGET
    )
    totals = json.loads(render_json(empty))["totals"]
    assert (
        totals["answers"] == 0 and totals["met_or_exceeded_share"] is None and totals["median_seconds_to_claim"] is None
    )
