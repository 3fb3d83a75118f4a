"""A kiosk whose station, staff names and reason labels are full of markup and escapes: it shows them
literally, records them whole, and keeps running (the staff menu too)."""

from __future__ import annotations

import dataclasses
import re

from textual.widgets import Button, Static

from kiosk.app import KioskApp
from kiosk.screens.idle import IdleScreen
from kiosk.screens.pin_entry import PinScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.shoutout import ShoutoutScreen
from kiosk.screens.staff_menu import StaffMenuScreen
from kiosk.settings import load_kiosk_settings

from .conftest import STAFF_PIN, stored, wait_for

STATION = "[bold]front[/x] [link=https://evil]x[/link] [@click=app.quit]"
STAFF = ("[@click=app.quit]", "Ann [/bold]", "\x1b[2JBob")
REASONS = {"wait": "price was [too] high", "link": "[link=https://evil]x[/link]", "esc": "\x1b]8;;http://evil\x07"}
TERMINAL_ACTIONS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def hostile_kiosk(make_config, clock, **kiosk) -> KioskApp:
    config = make_config(**kiosk)
    settings = load_kiosk_settings(config, station=STATION + "\x1b[2J")
    settings = dataclasses.replace(settings, staff=STAFF, reasons=REASONS)
    return KioskApp(config, settings=settings, clock=clock)


def labels(screen, selector: str) -> list[str]:
    return [button.label.plain for button in screen.query(selector).results(Button)]


async def test_a_hostile_station_staff_and_reasons_show_literally(make_config, clock, data_dir) -> None:
    app = hostile_kiosk(make_config, clock, thanks_seconds=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await pilot.press("3")  # exceeded: the shout-out names
        await wait_for(pilot, lambda: isinstance(app.screen, ShoutoutScreen))
        assert labels(app.screen, ".person") == ["[@click=app.quit] [1]", "Ann [/bold] [2]", "␛[2JBob [3]"]
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        clock.advance(60)
        await pilot.press("1")  # fell short: the reason labels
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        chips = labels(app.screen, ".chip")
        assert [chip[2:] for chip in chips] == [
            "price was [too] high [1]",
            "[link=https://evil]x[/link] [2]",
            "␛]8;;http://evil␇ [3]",
        ]
        assert app.is_running
    [shoutout] = [rating for rating in stored(data_dir) if rating.shoutout]
    assert shoutout.station == STATION + "\x1b[2J" and shoutout.shoutout == "[@click=app.quit]"  # kept whole


async def test_the_staff_menu_of_a_hostile_kiosk_stays_up(make_config, clock, pin_hash) -> None:
    app = hostile_kiosk(make_config, clock, pin_hash=pin_hash)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press(*STAFF_PIN, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffMenuScreen))
        await pilot.click("#back")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        problem = "could not write [/bold] \x1b[2J [@click=app.quit]"
        menu = StaffMenuScreen(
            None, pending=2, problem=problem, test_mode=False, timeout=60, clock=clock, no_counts="[/x] none"
        )
        await app.push_screen(menu)
        outbox = menu.query_one("#outbox", Static).visual.plain  # type: ignore[union-attr]
        assert outbox == "Waiting in the outbox: 2\ncould not write [/bold] ␛[2J [@click=app.quit]"
        assert menu.query_one("#counts", Static).visual.plain == "[/x] none"  # type: ignore[union-attr]
        assert not TERMINAL_ACTIONS.search(outbox.replace("\n", ""))
        assert app.is_running
