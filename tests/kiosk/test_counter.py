"""At the counter: nothing focused for a new customer, focus seen by shape, arrows that stop at the ends,
timeouts a full period from the last key, and ticks that read without colour."""

from __future__ import annotations

from textual.widgets import Button, Input

from kiosk.screens.idle import IdleScreen
from kiosk.screens.manager_now import ManagerNowScreen
from kiosk.screens.phone import PhoneScreen, TickBox
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.thanks import ThanksScreen
from shared.ratings import Outcome

from .conftest import stored, to_phone_step, wait_for


async def test_a_new_customer_finds_no_choice_focused_and_enter_alone_answers_nothing(make_app, data_dir):
    app = make_app(thanks_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen is app.idle)
        assert app.focused is None
        await pilot.press("enter")
        await pilot.pause()
        assert stored(data_dir) == [] and app.screen is app.idle

        await pilot.press("left", "enter")  # the first customer picks "exceeded" with the arrows
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
        await wait_for(pilot, lambda: app.screen is app.idle)
        assert app.focused is None  # nothing of their choice is left for the next customer
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert [r.outcome for r in stored(data_dir)] == [Outcome.EXCEEDED]


async def test_arrows_stop_at_the_first_and_last_choice(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right", "right", "down", "down")
        assert app.focused is not None and app.focused.id == "exceeded"
        await pilot.press("left", "up", "left", "left", "up")
        assert app.focused.id == "below"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
        assert stored(data_dir)[0].outcome is Outcome.BELOW


async def test_arrows_stop_at_the_ends_of_the_reason_chips(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        assert app.focused is None
        await pilot.press("right", "left", "up")
        assert app.focused is app.screen.query(".chip").first()
        await pilot.press(*["down"] * 12)
        assert app.focused is app.screen.query_one("#done")


async def test_the_focused_choice_has_a_heavy_frame_the_others_do_not(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right")
        await pilot.pause()
        met, below = app.screen.query_one("#met", Button), app.screen.query_one("#below", Button)
        assert app.focused is met
        assert {edge[0] for edge in (met.styles.outline_top, met.styles.outline_left)} == {"heavy"}
        assert below.styles.outline_top[0] == below.styles.outline_left[0] == ""
        assert met.outer_size == below.outer_size  # an outline: nothing moves when the frame appears


async def test_a_stray_enter_does_not_call_a_manager_over(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.press("3", "enter")  # a reason, then Enter: done
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        assert app.focused is None
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerNowScreen)
        assert not stored(data_dir)[0].customer_waiting


async def test_a_key_at_15_s_keeps_a_20_s_step_open_until_35_s_not_40(make_app, clock):
    app = make_app(step_timeout_seconds=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        clock.advance(15)
        await pilot.press("2")
        clock.advance(19.9)
        await pilot.pause(0.3)  # a few of the screen's ticks
        assert isinstance(app.screen, ReasonsScreen)
        clock.advance(0.1)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen), timeout=1)


async def test_typing_a_number_and_tapping_the_keypad_keep_the_phone_step_open(make_app, clock):
    app = make_app(phone_timeout_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_phone_step(pilot, app)
        clock.advance(50)
        await pilot.press("4")  # taken by the phone field, still activity
        clock.advance(50)
        await pilot.click("#key-1")  # the on-screen keypad
        clock.advance(59)
        await pilot.pause(0.3)
        assert isinstance(app.screen, PhoneScreen)
        assert app.screen.query_one("#number", Input).value == "41"
        clock.advance(1)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen), timeout=1)


async def test_ticked_and_unticked_read_apart_without_colour(make_app):
    app = make_app(thanks_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        first, second = list(app.screen.query(".chip").results(Button))[:2]
        await pilot.press("1")
        assert str(first.label).startswith("☑ ") and str(second.label).startswith("☐ ")
        await pilot.press("1")
        assert str(first.label).startswith("☐ ")

        await pilot.click("#skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
        consent = app.screen.query_one("#consent", TickBox)
        assert "✓" not in str(consent.render())
        await pilot.click("#consent")
        assert consent.value and "✓" in str(consent.render())


async def test_thanks_after_a_keyboard_visit_then_idle_with_nothing_focused(make_app, data_dir):
    app = make_app(thanks_seconds=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        await wait_for(pilot, lambda: app.screen is app.idle)
        assert app.focused is None
