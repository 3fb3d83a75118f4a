"""The live queue, driven through the real app on a real data directory."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

from textual.widgets import DataTable, Static

from manager.app import ManagerApp
from manager.rows import QueueFilter
from manager.screens.queue import QueueScreen
from shared.audit import reveals
from shared.config import Config
from shared.followups import FollowUpStatus, Resolution
from shared.store import FeedbackStore

from .conftest import FakeClock, Seed


def queue_screen(app: ManagerApp) -> QueueScreen:
    """The queue screen, even while a dialog is open over it."""
    return next(screen for screen in app.screen_stack if isinstance(screen, QueueScreen))


def row_ids(app: ManagerApp) -> list[str]:
    table = queue_screen(app).query_one(DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def cell(app: ManagerApp, followup_id: str, column: str) -> str:
    return str(queue_screen(app).query_one(DataTable).get_cell(followup_id, column))


async def test_the_queue_lists_the_most_urgent_first(config: Config, clock: FakeClock, seed: Seed) -> None:
    seed(id="due-later", ago=timedelta(minutes=1))
    seed(id="overdue", ago=timedelta(minutes=20))
    seed(id="waiting", ago=timedelta(minutes=0), customer_waiting=True)
    seed(id="met-one", outcome="met")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert row_ids(app) == ["fu-waiting", "fu-overdue", "fu-due-later"]
        assert cell(app, "fu-overdue", "left") == "5 min overdue"
        assert cell(app, "fu-due-later", "left") == "14 min left"
        assert cell(app, "fu-due-later", "age") == "1 min"


async def test_ages_tick_and_an_item_turning_overdue_moves_up_without_a_key(
    config: Config, clock: FakeClock, seed: Seed
) -> None:
    seed(id="a", ago=timedelta(minutes=10), customer_waiting=False)
    seed(id="b", ago=timedelta(minutes=2))
    seed(id="c", ago=timedelta(minutes=0), customer_waiting=True)
    app = ManagerApp(config, name="ann", clock=clock, tick_seconds=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert cell(app, "fu-a", "left") == "5 min left"
        clock.advance(minutes=6)
        await wait_for(pilot, lambda: cell(app, "fu-a", "left") == "1 min overdue")
        assert cell(app, "fu-b", "age") == "8 min"
        assert row_ids(app) == ["fu-c", "fu-a", "fu-b"]


async def wait_for(pilot, condition, timeout: float = 2.0) -> None:  # type: ignore[no-untyped-def]
    """Poll the app until ``condition`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.02)


WRITER = """
import sys
from datetime import UTC, datetime
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
store = FeedbackStore(sys.argv[1])
store.record_rating(Rating(id="from-another-process", ts=datetime.now(UTC), channel=Channel.SMS,
                           outcome=Outcome.BELOW, station="drive-in", contact=Contact("+15555550123")))
"""


async def test_a_flag_recorded_by_another_process_appears_within_two_seconds_with_a_bell(config: Config) -> None:
    app = ManagerApp(config, name="ann")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert row_ids(app) == []
        subprocess.run([sys.executable, "-c", WRITER, str(config.data_dir)], check=True, timeout=20)
        recorded = time.monotonic()
        await wait_for(pilot, lambda: row_ids(app) == ["fu-from-another-process"], timeout=2.0)
        assert time.monotonic() - recorded < 2.0
        assert app.announced == ["fu-from-another-process"]
        assert cell(app, "fu-from-another-process", "phone") == "+1 ••••••••23"
        assert cell(app, "fu-from-another-process", "station") == "drive-in"


async def test_claim_reveal_resolve_and_reopen(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x", phone="+15555550177", reasons=("wait time",), comment="waited ages")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert store.get_followup("fu-x").claimed_by == "ann"
        assert cell(app, "fu-x", "claimed") == "ann"

        await pilot.press("v")
        await pilot.pause()
        assert "+15555550177" not in cell(app, "fu-x", "phone")
        await pilot.press("y")
        await pilot.pause()
        assert cell(app, "fu-x", "phone") == "+15555550177"
        [reveal] = reveals(store)
        assert (reveal.followup_id, reveal.by, reveal.at) == ("fu-x", "ann", clock.now)

        await pilot.press("r")
        await pilot.pause()
        await pilot.press("2")
        await pilot.press(*"left a message")
        await pilot.press("enter")
        await pilot.pause()
        resolved = store.get_followup("fu-x")
        assert resolved.status is FollowUpStatus.RESOLVED
        assert (resolved.resolution, resolved.note, resolved.claimed_by) == (
            Resolution.APOLOGISED,
            "left a message",
            "ann",
        )
        assert row_ids(app) == []

        await pilot.press("h")
        await pilot.pause()
        assert row_ids(app) == ["fu-x"]
        await pilot.press("o")
        await pilot.pause()
        assert store.get_followup("fu-x").status is FollowUpStatus.RESOLVED  # asked first
        await pilot.press("y")
        await pilot.pause()
        assert store.get_followup("fu-x").status is FollowUpStatus.OPEN
        await pilot.press("h")
        await pilot.pause()
        assert row_ids(app) == ["fu-x"]
        assert cell(app, "fu-x", "claimed") == ""


async def test_a_declined_reveal_shows_nothing_and_records_nothing(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x", phone="+15555550177")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("v", "n")
        await pilot.pause()
        assert cell(app, "fu-x", "phone") == "+1 ••••••••77"
        assert reveals(store) == []


async def test_two_consoles_race_to_claim_and_the_loser_is_told(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    first = ManagerApp(config, name="ann", clock=clock)
    second = ManagerApp(config, name="bob", clock=clock)
    async with first.run_test(size=(120, 30)) as one, second.run_test(size=(120, 30)) as two:
        await one.pause()
        await two.pause()
        await one.press("c")
        await two.press("c")
        await one.pause()
        await two.pause()
        assert store.get_followup("fu-x").claimed_by == "ann"
        messages = [n.message for n in second._notifications]
        assert "ann claimed it first." in messages
        await wait_for(two, lambda: cell(second, "fu-x", "claimed") == "ann")


async def test_overdue_items_are_escalated_once(
    config: Config, clock: FakeClock, seed: Seed, store: FeedbackStore
) -> None:
    seed(id="x")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.tick()
        assert store.get_followup("fu-x").escalated_at is None
        clock.advance(minutes=16)
        app.tick()
        escalated = store.get_followup("fu-x").escalated_at
        assert escalated == clock.now
        clock.advance(minutes=1)
        app.tick()
        other = ManagerApp(config, name="bob", clock=clock)
        other.queue = tuple(other.store.open_followups())
        other.escalate_due()
        assert store.get_followup("fu-x").escalated_at == escalated
        await pilot.pause()
        assert cell(app, "fu-x", "wait") == "▲"
        assert "escalated" in str(queue_screen(app).query_one("#details", Static).render())


async def test_the_filter_shows_one_station_or_channel(config: Config, clock: FakeClock, seed: Seed) -> None:
    seed(id="front-1", station="front")
    seed(id="back-1", station="back")
    seed(id="sms-1", station="front", channel="sms")
    app = ManagerApp(config, name="ann", clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert len(row_ids(app)) == 3
        queue_screen(app).queue_filter = QueueFilter(station="front")
        await pilot.pause()
        assert sorted(row_ids(app)) == ["fu-front-1", "fu-sms-1"]
        queue_screen(app).queue_filter = QueueFilter(station="front", channel="kiosk")
        await pilot.pause()
        assert row_ids(app) == ["fu-front-1"]
