"""Kiosk lock, staff key and PIN, staff menu (counts, test mode, exit), bursts."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from kiosk.screens.idle import IdleScreen
from kiosk.screens.pin_entry import PinScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.staff_menu import StaffMenuScreen
from shared.store import FeedbackStore
from shared.summary import SUSPECT

from .conftest import STAFF_PIN, stored, wait_for


async def test_lock_keys_do_nothing_in_kiosk_mode(make_app, pin_hash):
    app = make_app(pin_hash=pin_hash)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c", "ctrl+q", "escape", "ctrl+p", "ctrl+backslash")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, IdleScreen)
        assert not app.screen.query("CommandPalette")
        assert not app._notifications  # not even "press ctrl+q to quit"
        assert not app.screen.query("#setup")


async def test_lock_keys_do_nothing_during_a_step(make_app, pin_hash):
    app = make_app(pin_hash=pin_hash)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.press("escape", "ctrl+q", "ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ReasonsScreen) and app.is_running


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
async def test_without_a_pin_the_idle_screen_says_how_to_leave_and_that_key_quits(make_app, key):
    app = make_app()  # the Quick start: lock on, no staff PIN yet
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen is app.idle)
        note = str(app.screen.query_one("#setup", Static).render())
        assert note == "No staff PIN set · Ctrl+Q quits · set one with `feedback kiosk-pin`"
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        await pilot.press(key)
        await wait_for(pilot, lambda: not app.is_running)


async def test_unlocked_kiosk_quits_with_ctrl_q(make_app):
    app = make_app(lock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_wrong_pin_goes_back_to_idle(make_app, pin_hash):
    app = make_app(pin_hash=pin_hash)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*"1357", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        assert app.is_running


async def test_right_pin_opens_staff_menu_with_todays_counts_and_exit(make_app, pin_hash, clock, data_dir):
    app = make_app(pin_hash=pin_hash, thanks_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        for count, key in enumerate(("2", "3", "2"), start=1):
            await pilot.press(key)
            await wait_for(pilot, lambda count=count: len(stored(data_dir)) == count)
            await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
            clock.advance(60)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*STAFF_PIN, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))
        counts = str(app.screen.query_one("#counts", Static).render())
        assert "3 answers" in counts and "met 2" in counts and "exceeded 1" in counts
        await pilot.click("#exit")
        await wait_for(pilot, lambda: not app.is_running)


async def test_pin_prompt_times_out(make_app, pin_hash, clock):
    app = make_app(pin_hash=pin_hash, step_timeout_seconds=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        clock.advance(15)
        await pilot.press("1")  # typing keeps it open a full timeout from the last key
        clock.advance(19)
        await pilot.pause(0.3)
        assert isinstance(app.screen, PinScreen)
        clock.advance(1)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))


async def test_without_a_pin_hash_the_menu_cannot_open(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        assert "kiosk-pin" in str(app.screen.query_one("#pin-message", Static).render())
        await pilot.press(*"0000", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))


async def test_staff_key_is_configurable(make_app, pin_hash):
    app = make_app(pin_hash=pin_hash, staff_key="ctrl+k")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        assert app.screen.query_one("#pin", Input).password


async def test_test_mode_answers_are_marked_and_left_out(make_app, pin_hash, data_dir, clock):
    app = make_app(pin_hash=pin_hash, step_timeout_seconds=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*STAFF_PIN, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))
        await pilot.click("#test")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        assert "TEST" in str(app.screen.query_one("#status", Static).render())
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        clock.advance(1)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
    [rating] = stored(data_dir)
    assert rating.suspect and rating.extra == {"test": "1"}
    assert FeedbackStore(data_dir).open_followups() == []


async def test_a_burst_of_taps_is_stored_but_suspect(make_app, data_dir, clock):
    app = make_app(burst_limit=2, burst_window_seconds=60, thanks_seconds=0.05, step_timeout_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        for count, key in enumerate(("2", "1", "1", "3"), start=1):
            await pilot.press(key)
            await wait_for(pilot, lambda count=count: len(stored(data_dir)) == count)
            clock.advance(5)  # past any step's timeout
            await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        clock.advance(120)  # a quiet minute later, taps count again
        await pilot.press("1")
        await wait_for(pilot, lambda: len(stored(data_dir)) == 5)
    ratings = stored(data_dir)
    assert [(r.outcome.value, r.suspect) for r in ratings] == [
        ("met", False),
        ("below", False),
        ("below", True),
        ("exceeded", True),
        ("below", False),
    ]
    assert all(not r.extra for r in ratings)
    store = FeedbackStore(data_dir)
    assert {f.rating_id for f in store.open_followups()} == {ratings[1].id, ratings[4].id}
    [hours] = store.daily_summaries(clock.now.date(), clock.now.date()).values()
    assert sum(bucket.get(SUSPECT, 0) for bucket in hours.values()) == 2
    assert sum(bucket.get("answers", 0) for bucket in hours.values()) == 3


async def test_five_wrong_pins_shut_the_prompt_for_a_while(make_app, pin_hash, clock, data_dir):
    app = make_app(pin_hash=pin_hash, thanks_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.press("f12")
            await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
            await pilot.press(*"0000", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await pilot.press("f12")  # locked: even the right PIN cannot be typed now
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        await pilot.press("2")  # customers still answer as ever
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        clock.advance(5 * 60)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*STAFF_PIN, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))


async def test_a_remote_kiosks_staff_menu_says_the_counts_are_on_the_server(make_config, pin_hash, clock):
    from kiosk.app import KioskApp
    from kiosk.remote import RemoteSettings
    from kiosk.settings import load_kiosk_settings

    config = make_config(pin_hash=pin_hash)
    remote = RemoteSettings("http://127.0.0.1:9", "token")  # nothing listens there: answers just wait
    app = KioskApp(config, settings=load_kiosk_settings(config), clock=clock, remote=remote)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*STAFF_PIN, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))
        counts = str(app.screen.query_one("#counts", Static).render())
        assert "kept on the server (http://127.0.0.1:9)" in counts
