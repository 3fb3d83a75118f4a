"""To-read items in the console: after every fell short, marked "to read", the text and the customer's
later words shown as written (never as markup)."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Static

from manager.app import ManagerApp
from manager.screens.queue import QueueScreen
from shared.config import Config
from shared.ratings import Channel, Contact
from shared.store import FeedbackStore

from .conftest import FakeClock, Seed

HOSTILE = "[/x] [bold]cold[/bold] [@click=app.quit]x[/]"


async def test_a_text_to_read_is_listed_after_fell_shorts_and_shown_as_written(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    store.open_to_read(
        "tr-SM1", HOSTILE, channel=Channel.SMS, contact=Contact("+12025550143"), now=clock.now - timedelta(minutes=30)
    )
    store.add_customer_words("tr-SM1", "[link=https://evil.example]and again[/link]", now=clock.now)
    seed(id="late", ago=timedelta(minutes=1))
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = next(screen for screen in app.screen_stack if isinstance(screen, QueueScreen))
        table = screen.query_one(DataTable)
        assert [str(row.key.value) for row in table.ordered_rows] == ["fu-late", "tr-SM1"]  # though overdue
        assert str(table.get_cell("tr-SM1", "reasons")) == "to read"
        table.move_cursor(row=1)
        await pilot.pause()
        shown = str(screen.query_one("#details", Static).render())
        assert " · a text to read, sent 30 min ago · sms" in shown.splitlines()[0]
        assert f"Text: “{HOSTILE}”" in shown
        assert "Later, 0 s ago: “[link=https://evil.example]and again[/link]”" in shown
        assert app.is_running
