"""The staff key, the PIN and a view for the next customer: kept for their answer, never shown to them."""

from __future__ import annotations

from textual.widgets import Static

from kiosk.screens.idle import IdleScreen
from kiosk.screens.pin_entry import PinScreen
from kiosk.screens.staff_menu import StaffMenuScreen
from shared.store import FeedbackStore

from .conftest import STAFF_PIN, stored, wait_for


async def give_view(pilot, app, button: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
    await pilot.press(*STAFF_PIN, "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))
    await pilot.click(f"#{button}")
    await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))


def pairs(data_dir, clock):  # type: ignore[no-untyped-def]
    day = clock().date()
    return FeedbackStore(data_dir).pairs(day, day)


async def test_view_pairs_with_the_next_answer_and_the_idle_screen_does_not_change(make_app, pin_hash, clock, data_dir):
    app = make_app(pin_hash=pin_hash, thanks_seconds=0.05, station="front")
    async with app.run_test(size=(80, 24)) as pilot:
        before = app.export_screenshot()
        await give_view(pilot, app, "view-exceeded")
        await pilot.pause()
        assert app.export_screenshot() == before  # nothing for the customer to see
        clock.advance(60)
        await pilot.press("1")  # the customer: fell short
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
        await pilot.press("escape")
        clock.advance(5)
        app.go_idle()
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await pilot.press("2")  # the next customer: the view was used up
        await wait_for(pilot, lambda: len(stored(data_dir)) == 2)
    [pair] = pairs(data_dir, clock)
    assert (pair.view, pair.answer, pair.station) == ("exceeded", "below", "front")
    first, second = sorted(stored(data_dir), key=lambda rating: rating.ts)
    assert first.extra["staff_view"] == "exceeded" and "staff_view" not in second.extra


async def test_view_expires_after_the_window(make_app, pin_hash, clock, data_dir):
    app = make_app(pin_hash=pin_hash, thanks_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await give_view(pilot, app, "view-met")
        clock.advance(121)
        await pilot.press("3")
        await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
    assert pairs(data_dir, clock) == [] and "staff_view" not in stored(data_dir)[0].extra


async def test_the_menu_shows_the_waiting_view_to_staff(make_app, pin_hash, clock):
    app = make_app(pin_hash=pin_hash, general={"staff_view_window_seconds": 300})
    async with app.run_test(size=(80, 24)) as pilot:
        await give_view(pilot, app, "view-below")
        clock.advance(100)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*STAFF_PIN, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))
        note = str(app.screen.query_one("#view-note", Static).render())
        assert note.startswith("Your view for the next customer: fell short (waits 200 s more)")
