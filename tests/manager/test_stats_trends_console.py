"""The console's statistics: the day chart beside the hour chart, and what customers wrote, filtered."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path

from rich.console import Console
from textual.widgets import Select, Static

from manager.app import ManagerApp
from manager.screens.stats import StatsScreen
from manager.screens.wrote_filter import WroteFilterScreen
from manager.widgets.day_chart import DayChart, day_rows
from shared.config import load_config
from shared.stats import OutcomeCounts
from shared.store import FeedbackStore
from tests.clocks import FakeClock

from . import trend_dataset as data


def shown(widget: Static) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def test_day_rows_draw_answers_and_the_share_that_fell_short() -> None:
    rows = day_rows({date(2026, 11, 9): OutcomeCounts(1, 1, 0), date(2026, 11, 10): OutcomeCounts(1, 3, 0)}, 2, 4)
    assert rows == ["    ███", "███ ███", "09  10", "50% 25%"]


async def test_seven_days_show_each_day_and_what_customers_wrote(tmp_path: Path) -> None:
    config = dataclasses.replace(load_config(None, data_dir=tmp_path / "data", environ={}), timezone=data.ZONE)
    data.build(FeedbackStore(config.data_dir))
    app = ManagerApp(config, name="ann", clock=FakeClock(data.NOW))
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.press("s", "t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert list(screen.query_one(DayChart).days) == [date(2026, 11, n) for n in (5, 7, 9, 10)]
        wrote = shown(screen.query_one("#wrote", Static))
        assert "rude staff, long wait" in wrote and "••34" in wrote and "555" not in wrote
        await pilot.press("w")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, WroteFilterScreen)
        dialog.query_one("#outcome", Select).value = "to_read"
        await pilot.click("#apply")
        await pilot.pause()
        wrote = shown(screen.query_one("#wrote", Static))
        assert "Is the shop open Sunday?" in wrote and "rude staff" not in wrote and "(to read)" in wrote
