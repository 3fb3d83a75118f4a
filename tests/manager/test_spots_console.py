"""Hot spots in the console: kept by the server, shown above the queue as plain text, rung for when new."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Static

from manager.app import ManagerApp
from shared.config import Config
from shared.hot_spots import Spot, SpotKind
from shared.store import FeedbackStore
from tests.clocks import FakeClock


def spot(clock: FakeClock, station: str, below: int = 3) -> Spot:
    return Spot(SpotKind.HOT_SPOT, station, clock(), timedelta(minutes=15), 4, below, "wait_time")


async def test_a_hot_spot_shows_above_the_queue_and_a_new_one_rings(
    config: Config, store: FeedbackStore, clock: FakeClock
) -> None:
    store.record_spot(spot(clock, "[bold]Till 1[/bold]"))
    app = ManagerApp(config, name="ann", clock=clock, poll_seconds=0.05)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        banner = app.screen.query_one("#spots", Static)
        assert banner.display
        shown = str(banner.render())
        assert "Hot spot · [bold]Till 1[/bold]: 3 of 4 fell short in 15 min (75 %) · top reason: Wait time" in shown
        assert not any("Till 1" in str(note.message) for note in app._notifications)  # kept before: shown, not rung
        clock.advance(minutes=1)
        store.record_spot(spot(clock, "Patio", below=4))

        def rung() -> bool:  # a notification is posted as a message: it lands a moment after the spots
            return any("Hot spot · Patio" in str(note.message) for note in app._notifications)

        for _ in range(200):
            await pilot.pause(0.05)
            if len(app.spots) == 2 and rung():
                break
        assert [s.station for s in app.spots] == ["Patio", "[bold]Till 1[/bold]"]
        assert rung()


async def test_no_hot_spot_no_line(config: Config, store: FeedbackStore, clock: FakeClock) -> None:
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#spots", Static).display
