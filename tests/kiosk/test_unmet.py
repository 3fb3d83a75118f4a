"""After "fell short": reasons, manager now, phone call back; each skippable, each timing out to idle."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, Static

from kiosk.screens.idle import IdleScreen
from kiosk.screens.manager_now import ManagerNowScreen
from kiosk.screens.phone import PhoneScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.thanks import ThanksScreen
from shared.store import FeedbackStore

from .conftest import stored, to_phone_step, wait_for


async def test_full_unmet_visit_enriches_one_rating_and_its_follow_up(make_app, data_dir):
    app = make_app(thanks_seconds=30, general={"phone_region": "US"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.press("1", "3")  # wait time, accuracy
        await pilot.click("#done")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        assert stored(data_dir)[0].reasons == ("wait_time", "accuracy")
        await pilot.press("1")  # yes, a manager now
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
        await pilot.press(*"(415) 555-0134")
        await pilot.click("#consent")
        await pilot.click("#send")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        details = " ".join(str(w.render()) for w in app.screen.query(".detail").results(Static))
        assert "manager is on the way" in details

    [rating] = stored(data_dir)
    assert rating.reasons == ("wait_time", "accuracy")
    assert rating.customer_waiting
    assert rating.contact is not None and rating.contact.phone == "+14155550134" and rating.contact.consent
    [followup] = FeedbackStore(data_dir).open_followups()
    assert followup.rating_id == rating.id
    assert followup.customer_waiting
    assert followup.reasons == ("wait_time", "accuracy")
    assert followup.contact == rating.contact


async def test_reason_chips_toggle_by_click(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        chips = list(app.screen.query(".chip"))
        await pilot.click(chips[5])  # price
        await pilot.click(chips[0])  # wait time
        await pilot.pause(0.3)  # a button ignores a second click within its 0.2 s press effect
        await pilot.click(chips[0])  # changed their mind
        await pilot.click("#done")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
    assert stored(data_dir)[0].reasons == ("price",)


async def test_every_unmet_step_can_be_skipped(make_app, data_dir):
    app = make_app(thanks_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.click("#skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        await pilot.click("#no")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
        await pilot.click("#skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
    [rating] = stored(data_dir)
    assert rating.reasons == () and not rating.customer_waiting and rating.contact is None
    [followup] = FeedbackStore(data_dir).open_followups()
    assert not followup.customer_waiting


async def test_reasons_time_out_back_to_idle_and_the_answer_stays(make_app, data_dir, clock):
    app = make_app(step_timeout_seconds=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        clock.advance(20)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
    [rating] = stored(data_dir)
    assert rating.outcome == "below"
    assert len(FeedbackStore(data_dir).open_followups()) == 1


async def test_manager_question_times_out_keeping_the_reasons(make_app, data_dir, clock):
    app = make_app(step_timeout_seconds=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.press("7")
        await pilot.click("#done")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        clock.advance(20)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
    [rating] = stored(data_dir)
    assert rating.reasons == ("other",) and not rating.customer_waiting


async def test_phone_step_times_out_on_its_own_timeout(make_app, data_dir, clock):
    app = make_app(step_timeout_seconds=30, phone_timeout_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_phone_step(pilot, app)
        clock.advance(30)  # a step's timeout is not the phone step's
        await pilot.pause(0.3)
        assert isinstance(app.screen, PhoneScreen)
        clock.advance(30)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
    assert stored(data_dir)[0].contact is None


async def test_activity_keeps_a_step_open_in_real_time(make_config, data_dir):
    from kiosk.app import KioskApp
    from shared.store import utc_now

    app = KioskApp(make_config(step_timeout_seconds=0.5), clock=utc_now)  # the wall clock, as a kiosk runs
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        for _ in range(4):  # 0.8 s of taps in all, each under the timeout
            await pilot.pause(0.2)
            await pilot.press("2")
        assert isinstance(app.screen, ReasonsScreen)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))


async def test_phone_number_is_checked_and_needs_consent(make_app, data_dir):
    app = make_app(thanks_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_phone_step(pilot, app)
        screen = app.screen
        error = screen.query_one("#error", Static)

        await pilot.press(*"12345", "enter")
        assert str(error.render()) == app.settings.texts.phone_invalid
        assert isinstance(app.screen, PhoneScreen)

        screen.query_one("#number", Input).value = ""
        for key in "4155550134":  # the on-screen keypad
            await pilot.click(f"#key-{key}")
        await pilot.click("#key-back")
        await pilot.click("#key-4")
        assert screen.query_one("#number", Input).value == "4155550134"
        await pilot.click("#send")
        assert str(error.render()) == app.settings.texts.phone_needs_consent
        assert isinstance(app.screen, PhoneScreen)

        await pilot.click("#consent")
        assert screen.query_one("#consent", Checkbox).value
        await pilot.pause(0.3)  # past the button's 0.2 s press effect, which ignores clicks
        await pilot.click("#send")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
    assert stored(data_dir)[0].contact.phone == "+14155550134"


async def test_the_next_customer_sees_nothing_of_the_previous_one(make_app, data_dir, clock):
    app = make_app(step_timeout_seconds=30, phone_timeout_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
        await pilot.press(*"4155550134")
        await pilot.click("#consent")
        clock.advance(60)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))  # walked away before sending

        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        assert app.screen.chosen == []
        await pilot.press("enter")  # nothing picked: Enter alone does not move on
        await pilot.pause()
        assert isinstance(app.screen, ReasonsScreen)
        await pilot.click("#skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
        assert app.screen.query_one("#number", Input).value == ""
        assert not app.screen.query_one("#consent", Checkbox).value
    first, second = stored(data_dir)
    assert first.reasons == ("knowledge",) and first.contact is None
    assert second.reasons == () and second.contact is None
