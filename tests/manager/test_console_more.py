"""More of the console: the name prompt, dialogs by mouse, the statistics screen, the entry points."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Select

from manager.app import ManagerApp
from manager.cli import manager_name, report_days
from manager.rows import QueueFilter
from manager.screens.filter import FilterScreen
from manager.screens.stats import StatsScreen
from manager.widgets.hour_chart import bar_rows
from manager.words import duration_words, percent
from shared.config import Config, load_config
from shared.followups import FollowUpStatus, Resolution
from shared.store import FeedbackStore

from .conftest import FakeClock, Seed
from .test_queue_app import cell, queue_screen, row_ids, wait_for

ROOT = Path(__file__).resolve().parents[2]


async def test_without_a_name_the_console_asks_for_one_before_claiming(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    app = ManagerApp(config, name="", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*"Dee", "enter")
        await pilot.pause()
        assert app.manager == "Dee"
        await pilot.press("c")
        await pilot.pause()
        assert store.get_followup("fu-x").claimed_by == "Dee"


async def test_resolving_with_the_mouse_and_without_an_outcome_asks_for_one(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await pilot.click("#resolve")
        await pilot.pause()
        assert "Choose how it was resolved" in str(app.screen.query_one("#problem").render())
        await pilot.click("#could_not_reach")
        await pilot.click("#resolve")
        await pilot.pause()
        resolved = store.get_followup("fu-x")
        assert (resolved.status, resolved.resolution) == (FollowUpStatus.RESOLVED, Resolution.COULD_NOT_REACH)


async def test_the_filter_dialog_applies_a_station_and_show_all_clears_it(
    config: Config, clock: FakeClock, seed: Seed
) -> None:
    seed(id="front-1", station="front")
    seed(id="back-1", station="back")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)
        app.screen.query_one("#station", Select).value = "back"
        await pilot.click("#apply")
        await pilot.pause()
        assert row_ids(app) == ["fu-back-1"]
        assert queue_screen(app).queue_filter == QueueFilter(station="back")
        await pilot.press("f")
        await pilot.pause()
        await pilot.click("#all")
        await pilot.pause()
        assert sorted(row_ids(app)) == ["fu-back-1", "fu-front-1"]


async def test_releasing_a_claim_with_reopen(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    store.claim("fu-x", "bob")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert cell(app, "fu-x", "claimed") == "bob"
        await pilot.press("o")
        await pilot.pause()
        assert store.get_followup("fu-x").status is FollowUpStatus.CLAIMED  # asked first
        await pilot.press("y")
        await pilot.pause()
        assert store.get_followup("fu-x").status is FollowUpStatus.OPEN
        assert cell(app, "fu-x", "claimed") == ""


async def test_the_statistics_screen_switches_period_and_follows_the_store(
    config: Config, clock: FakeClock, seed: Seed
) -> None:
    seed(id="old", outcome="met", ago=timedelta(days=3))
    seed(id="today", outcome="exceeded")
    app = ManagerApp(config, name="ann", clock=clock, poll_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.stats is not None and screen.stats.answers == 1
        await pilot.press("t")
        await pilot.pause()
        assert screen.stats.answers == 2 and screen.stats.since == clock.now.date() - timedelta(days=6)
        screen._computed_at = 0  # let the next change through at once
        seed(id="new", outcome="below")
        await wait_for(pilot, lambda: screen.stats is not None and screen.stats.answers == 3)
        assert screen.stats.below == 1
        await pilot.press("escape")
        await pilot.pause()
        assert row_ids(app) == ["fu-new"]


def test_bars_scale_to_the_busiest_hour_with_eighth_blocks() -> None:
    counts = tuple([0] * 9 + [8, 4, 1] + [0] * 12)
    assert bar_rows(counts, height=2, column=2) == [
        " " * 18 + "█",
        " " * 18 + "█ █ ▂",
        "00  02  04  06  08  10  12  14  16  18  20  22",
    ]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(None, "–"), (0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (3660, "1 h 01 min"), (90000, "1 d 1 h")],
)
def test_durations_in_words(seconds: int | None, words: str) -> None:
    assert duration_words(None if seconds is None else timedelta(seconds=seconds)) == words


def test_percent_of_nothing_is_a_dash() -> None:
    assert (percent(None), percent(0.666)) == ("–", "67 %")


def test_the_managers_name_comes_from_the_flag_then_the_config_then_the_login(tmp_path: Path) -> None:
    config_file = tmp_path / "shop.toml"
    config_file.write_text('[manager]\nname = "Dee"\n', encoding="utf-8")
    configured = load_config(config_file, data_dir=tmp_path, environ={"USER": "login"})
    assert manager_name("Ann", configured) == "Ann"
    assert manager_name(None, configured) == "Dee"
    assert manager_name(None, load_config(None, data_dir=tmp_path, environ={"USER": "login"})) == "login"
    assert manager_name(None, load_config(None, data_dir=tmp_path, environ={})) == ""


def test_report_days_default_to_the_last_seven(clock: FakeClock) -> None:
    today = clock.now.date()
    assert report_days(None, None, today) == (today - timedelta(days=6), today)
    assert report_days(today - timedelta(days=30), None, today) == (today - timedelta(days=30), today)
    assert report_days(None, today - timedelta(days=10), today) == (
        today - timedelta(days=16),
        today - timedelta(days=10),
    )


def test_run_kiosk_with_manager_starts_the_console_command() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_kiosk.py"), "--manager", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "usage: feedback manager" in done.stdout and "--name NAME" in done.stdout


async def test_a_damaged_queue_file_is_reported_once_and_read_again_when_repaired(
    config: Config, clock: FakeClock, seed: Seed
) -> None:
    seed(id="first")
    app = ManagerApp(config, name="ann", clock=clock, poll_seconds=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        seed(id="second")
        queue_file = config.data_dir / "queue.json"
        good = queue_file.read_bytes()
        queue_file.write_bytes(b"{not json")
        app.poll_store()
        app.poll_store()
        await pilot.pause()
        problems = [n for n in app._notifications if n.title == "Could not read the queue"]
        assert len(problems) == 1 and "queue.json" in problems[0].message
        assert row_ids(app) == ["fu-first"]
        queue_file.write_bytes(good)
        app.poll_store()
        await pilot.pause()
        assert row_ids(app) == ["fu-first", "fu-second"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("poll_seconds = 0", "poll_seconds must be a number of seconds above 0"),
        ('poll_seconds = "fast"', "poll_seconds must be a number"),
        ('escalate_overdue = "yes"', "escalate_overdue must be true or false"),
        ("name = 3", "name must be text"),
        ("colour = 'red'", "unknown setting(s) in [manager]: colour"),
        ("[kiosk]\nreasons = 3", "[kiosk] reasons must be a list of texts or a table"),
    ],
)
def test_bad_manager_settings_stop_the_console_with_a_clear_message(tmp_path: Path, table: str, message: str) -> None:
    config = tmp_path / "shop.toml"
    config.write_text(f"[manager]\n{table}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "feedback", "manager", "--data", str(tmp_path / "data"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and message in done.stderr
