"""The perception gap and the recovery rate, on a hand-worked history (tests/manager/loop_dataset.py)."""

from __future__ import annotations

import csv
import io
import json
from zoneinfo import ZoneInfo

import pytest

from manager.report import gather, render_csv, render_html, render_text
from manager.report_json import render_json
from shared.perception import Share, wilson
from shared.ratings import Channel, Outcome, Rating
from shared.stats import Stats
from shared.store import FeedbackStore
from tests.manager import dataset, loop_dataset
from tests.manager.test_console_ready import painted
from tests.manager.test_report import TARGET

B, M, E = Outcome.BELOW, Outcome.MET, Outcome.EXCEEDED


@pytest.fixture(scope="module")
def loop_stats(tmp_path_factory: pytest.TempPathFactory) -> Stats:
    store = FeedbackStore(tmp_path_factory.mktemp("loop") / "data")
    loop_dataset.build(store)
    return gather(
        store, since=dataset.DAY, until=dataset.DAY, zone=ZoneInfo(dataset.ZONE), now=dataset.NOW, target=TARGET
    )


def shares(gap_shares: dict[Outcome, Share]) -> tuple[tuple[int, int], ...]:
    return tuple((gap_shares[outcome].count, gap_shares[outcome].total) for outcome in (E, M, B))


def test_wilson_interval_by_hand() -> None:
    assert wilson(4, 9) == pytest.approx((0.1888, 0.7334), abs=1e-4)
    assert wilson(0, 5) == pytest.approx((0.0, 3.8415 / 8.8415), abs=1e-4)  # z² / (n + z²)
    assert wilson(5, 5) == pytest.approx((1 - 3.8415 / 8.8415, 1.0), abs=1e-4)
    assert wilson(0, 0) is None


def test_the_gap_overall_by_staff_and_by_station(loop_stats: Stats) -> None:
    found = loop_stats.perception
    assert found is not None
    overall = found.overall
    assert overall.pairs == 9 and overall.small
    assert shares(overall.staff) == ((4, 9), (4, 9), (1, 9))
    assert shares(overall.customers) == ((2, 9), (3, 9), (4, 9))
    assert (overall.agreement.count, overall.agreement.total) == (4, 9)
    assert overall.agreement.interval == pytest.approx((0.1888, 0.7334), abs=1e-4)
    assert list(found.by_staff) == ["ann", "bob", "cy"]  # most pairs first
    ann, bob, cy = found.by_staff.values()
    assert shares(ann.staff) == ((3, 5), (2, 5), (0, 5)) and shares(ann.customers) == ((2, 5), (2, 5), (1, 5))
    assert shares(bob.staff) == ((1, 3), (1, 3), (1, 3)) and shares(bob.customers) == ((0, 3), (0, 3), (3, 3))
    assert (ann.agreement.count, bob.agreement.count, cy.agreement.count, cy.pairs) == (2, 1, 1, 1)
    assert {name: gap.pairs for name, gap in found.by_station.items()} == {"front": 5, "drive-in": 3, "back": 1}


def test_staff_thought_it_went_well_the_customer_said_below_with_reasons(loop_stats: Stats) -> None:
    found = loop_stats.perception
    assert found is not None
    seen = [(pair.rating_id, pair.view, pair.reasons) for pair in found.surprises]
    assert seen == [("k3", E, ("wait time",)), ("s6", E, ("price",)), ("s7", M, ())]


def test_recovery_as_customers_said_it_beside_the_outcome_codes(loop_stats: Stats) -> None:
    found = loop_stats.recovery
    assert found is not None
    recovered, apologised = found.by_resolution["recovered"], found.by_resolution["apologised"]
    assert (recovered.asked, recovered.answered, recovered.made_right.count, recovered.made_right.total) == (1, 1, 1, 1)
    assert (apologised.asked, apologised.answered, apologised.made_right.count) == (2, 1, 0)
    assert (found.overall.asked, found.overall.answered, found.overall.made_right.value) == (3, 2, 0.5)


def test_the_json_report_gives_fractions_counts_and_intervals(loop_stats: Stats) -> None:
    document = json.loads(render_json(loop_stats))
    perception = document["perception"]
    assert list(perception) == ["small_sample_below", "overall", "by_staff", "by_station", "surprises"]
    overall = perception["overall"]
    assert overall["pairs"] == 9 and overall["small_sample"] is True
    assert overall["staff"]["exceeded"]["share"] == pytest.approx(4 / 9)
    assert overall["customers"]["below"] == {
        "share": pytest.approx(4 / 9),
        "count": 4,
        "of": 9,
        "low": pytest.approx(0.1888, abs=1e-4),
        "high": pytest.approx(0.7334, abs=1e-4),
    }
    assert [group["name"] for group in perception["by_station"]] == ["front", "drive-in", "back"]
    assert perception["by_staff"][1]["customers"]["below"]["share"] == 1.0
    surprise = perception["surprises"][0]
    assert surprise["reasons"] == [{"key": "wait time", "label": "Wait time"}] and surprise["staff_view"] == "exceeded"
    recovery = document["recovery"]
    assert recovery["overall"]["made_right"]["share"] == 0.5
    assert [row["resolution"] for row in recovery["by_resolution"]] == ["recovered", "apologised"]


def test_text_csv_and_html_show_the_gap(loop_stats: Stats) -> None:
    text = render_text(loop_stats)
    assert "  Overall: 9 pairs (small sample), agreed 44 % (4 of 9, 19–73 %)" in text
    assert "    fell short  staff 11 % (1 of 9, 2–43 %)" in text  # Wilson's upper bound for 1 of 9: 0.43499...
    assert "customers 44 % (4 of 9, 19–73 %)" in text
    assert "Staff thought it went well, the customer said we fell short" in text
    assert "10 Nov 12:10 drive-in, bob: staff said exceeded; Price" in text
    assert "10 Nov 12:15 drive-in, bob: staff said met; no reason given" in text
    assert "cold" not in text  # a comment is personal data: never copied into the pairs
    rows = list(csv.reader(io.StringIO(render_csv(loop_stats))))
    assert ["perception_overall", "", "agreement", "4"] in rows
    assert ["perception_staff", "bob", "customers_below_share", "1.0000"] in rows
    assert ["recovery", "all", "made_right_share", "0.5000"] in rows
    page = render_html(loop_stats)
    assert 'aria-label="perception gap"' in page and "<h2>Perception gap</h2>" in page


def test_hostile_names_stay_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = FeedbackStore(tmp_path / "data")
    at = dataset.local(9)
    store.record_interaction("i-1", E, staff="[bold]<b>=1+1", station="\x1b[2J", now=at)
    store.record_rating(Rating(id="k1", ts=at, channel=Channel.KIOSK, outcome=B, station="\x1b[2J"), now=at)
    stats = gather(
        store, since=dataset.DAY, until=dataset.DAY, zone=ZoneInfo(dataset.ZONE), now=dataset.NOW, target=TARGET
    )
    assert "\x1b" not in render_text(stats) and "<b>=1+1" not in render_html(stats)
    assert "&lt;b&gt;=1+1" in render_html(stats)
    assert not any(cell.startswith("=") for row in csv.reader(io.StringIO(render_csv(stats))) for cell in row)


async def test_the_statistics_screen_shows_the_gap_and_the_recovery_rate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from manager.app import ManagerApp
    from shared.config import load_config
    from tests.clocks import FakeClock

    config = load_config(None, data_dir=tmp_path / "data", environ={})
    config = type(config)(**{**{f: getattr(config, f) for f in config.__slots__}, "timezone": dataset.ZONE})
    store = FeedbackStore(config.data_dir)
    loop_dataset.build(store)
    store.record_interaction("i-x", E, staff="[bold]x[/bold]", station="front", now=dataset.local(20))
    store.record_rating(
        Rating(id="k-x", ts=dataset.local(20), channel=Channel.KIOSK, outcome=B, station="front"), now=dataset.local(20)
    )
    app = ManagerApp(config, name="dee", clock=FakeClock(dataset.NOW))
    async with app.run_test(size=(80, 60)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        loop = app.screen.query_one("#loop")
        assert loop.display
        text = painted(loop)
    assert "Perception gap" in text and "Did we make it right?" in text
    assert "Overall: 10 pairs (small sample), agreed 40 % 4/10 17–69" in text  # nine pairs and the hostile one
    assert "Staff: [bold]x[/bold]: 1 pair (small sample)" in text  # a name is text, never markup
    assert any(line.split()[:5] == ["customers", "20", "%", "2/10", "6–51"] for line in text.splitlines())
    assert "50 % 1/2 9–91" in text
