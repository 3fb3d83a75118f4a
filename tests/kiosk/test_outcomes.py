"""The first tap: each outcome by key, by click and by arrows, recorded at once; thanks; back to idle."""

from __future__ import annotations

import pytest

from kiosk.screens.idle import IdleScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.shoutout import ShoutoutScreen
from kiosk.screens.thanks import ThanksScreen
from shared.ratings import Channel, Outcome

from .conftest import stored, wait_for


@pytest.mark.parametrize(
    ("key", "outcome", "next_screen"),
    [("1", Outcome.BELOW, ReasonsScreen), ("2", Outcome.MET, ThanksScreen), ("3", Outcome.EXCEEDED, ThanksScreen)],
)
async def test_each_outcome_by_key_is_recorded_before_the_next_step(
    make_app, data_dir, clock, key, outcome, next_screen
):
    app = make_app(station="front")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, next_screen))
        [rating] = stored(data_dir)
        assert rating.outcome is outcome
        assert rating.channel is Channel.KIOSK
        assert rating.station == "front"
        assert rating.ts == clock.now
        assert not rating.suspect


@pytest.mark.parametrize("outcome", list(Outcome))
async def test_each_outcome_by_click(make_app, data_dir, outcome):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(f"#{outcome.value}")
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
        assert stored(data_dir)[0].outcome is outcome


async def test_arrows_and_enter_choose(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right", "enter")  # nothing is focused at first: the first arrow enters
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
        assert stored(data_dir)[0].outcome is Outcome.MET


async def test_met_thanks_then_back_to_idle_on_its_own(make_app, data_dir):
    app = make_app(thanks_seconds=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await pilot.press("3")
        await wait_for(pilot, lambda: len(stored(data_dir)) == 2)


async def test_taps_during_thanks_are_ignored(make_app, data_dir):
    app = make_app(thanks_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        await pilot.press("1", "3", "2", "enter")
        await pilot.click(offset=(10, 10))
        await pilot.pause()
        assert isinstance(app.screen, ThanksScreen)
        assert [r.outcome for r in stored(data_dir)] == [Outcome.MET]


async def test_a_double_tap_on_idle_records_one_answer(make_app, data_dir):
    app = make_app(thanks_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "3", "1")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        await pilot.pause()
        assert [r.outcome for r in stored(data_dir)] == [Outcome.EXCEEDED]


async def test_exceeded_with_staff_asks_who_made_the_day(make_app, data_dir):
    app = make_app(staff=["Ana", "Bo", "Chris"], thanks_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoutoutScreen))
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        assert "Bo" in str(app.screen.query_one(".detail").render())
        [rating] = stored(data_dir)
        assert rating.shoutout == "Bo"


async def test_shoutout_by_click_and_skip(make_app, data_dir):
    app = make_app(staff=["Ana", "Bo"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoutoutScreen))
        await pilot.click("#skip")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoutoutScreen))
        await pilot.click(".person")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        assert sorted(r.shoutout for r in stored(data_dir)) == ["", "Ana"]


async def test_shoutout_times_out_back_to_idle_keeping_the_answer(make_app, data_dir, clock):
    app = make_app(staff=["Ana"], step_timeout_seconds=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoutoutScreen))
        clock.advance(20)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        assert [r.outcome for r in stored(data_dir)] == [Outcome.EXCEEDED]
