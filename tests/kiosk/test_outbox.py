"""When the store cannot be written: the answer waits in the outbox, the customer still sees thanks,
staff see a discreet mark, and the outbox is replayed in order, once, when the store is back."""

from __future__ import annotations

import filelock
import pytest
from textual.widgets import Static

from kiosk.outbox import Operation, Outbox, StoreSender
from kiosk.recorder import Recorder
from kiosk.screens.idle import IdleScreen
from kiosk.screens.manager_now import ManagerNowScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.thanks import ThanksScreen
from shared.ratings import Channel, Outcome, Rating
from shared.storage import StoreCorrupt
from shared.store import FeedbackStore

from .conftest import stored, wait_for

FAST = {"write_timeout_seconds": 0.05, "general": {"lock_timeout_seconds": 0.1}}


def status(app) -> str:
    return str(app.idle.query_one("#status", Static).render())


async def test_a_locked_store_sends_the_answer_to_the_outbox_and_thanks_anyway(make_app, data_dir):
    app = make_app(thanks_seconds=30, **FAST)
    held = filelock.FileLock(data_dir / ".lock")
    async with app.run_test(size=(80, 24)) as pilot:
        with held:
            await pilot.press("2")
            await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
            assert len(app.outbox) == 1
            assert stored(data_dir) == []
            assert status(app) == "● 1"
            assert app.outbox.path.exists()
            await pilot.pause(0.3)  # retries fail while the lock is held
            assert len(app.outbox) == 1
        await wait_for(pilot, lambda: len(app.outbox) == 0)
        await wait_for(pilot, lambda: status(app) == "")
    [rating] = stored(data_dir)
    assert rating.outcome is Outcome.MET


async def test_a_whole_unmet_visit_is_replayed_in_order_once(make_app, data_dir):
    app = make_app(thanks_seconds=30, **FAST)
    held = filelock.FileLock(data_dir / ".lock")
    async with app.run_test(size=(80, 24)) as pilot:
        with held:
            await pilot.press("1")
            await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
            await pilot.press("2", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
            await pilot.press("1")
            await wait_for(pilot, lambda: not isinstance(app.screen, ManagerNowScreen))
            assert [entry.op for entry in app.outbox.entries()] == [
                Operation.RECORD,
                Operation.UPDATE,
                Operation.UPDATE,
            ]
        await wait_for(pilot, lambda: len(app.outbox) == 0)
    [rating] = stored(data_dir)
    assert rating.reasons == ("friendliness",) and rating.customer_waiting
    [followup] = FeedbackStore(data_dir).open_followups()
    assert followup.customer_waiting and followup.reasons == ("friendliness",)


async def test_the_outbox_outlives_the_kiosk(make_app, data_dir):
    held = filelock.FileLock(data_dir / ".lock")
    first = make_app(retry_first_seconds=60, **FAST)
    async with first.run_test(size=(80, 24)) as pilot:
        with held:
            await pilot.press("3")
            await wait_for(pilot, lambda: len(first.outbox) == 1)
    assert stored(data_dir) == []

    second = make_app(**FAST)
    async with second.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(second.outbox) == 0)
    assert [r.outcome for r in stored(data_dir)] == [Outcome.EXCEEDED]


async def test_the_idle_screen_answers_while_the_outbox_waits(make_app, data_dir):
    app = make_app(thanks_seconds=0.05, retry_first_seconds=60, **FAST)
    held = filelock.FileLock(data_dir / ".lock")
    async with app.run_test(size=(80, 24)) as pilot:
        with held:
            await pilot.press("2")
            await wait_for(pilot, lambda: len(app.outbox) == 1)
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await pilot.press("3")  # queued behind the first, not before it
        await wait_for(pilot, lambda: len(app.outbox) == 2)
        assert status(app) == "● 2"


def rating(number: int) -> Rating:
    from datetime import UTC, datetime

    return Rating(
        id=f"tap-{number}", ts=datetime(2026, 11, 24, 12, number, tzinfo=UTC), channel=Channel.KIOSK, outcome="below"
    )


def test_replaying_an_entry_that_already_reached_the_store_records_nothing_twice(tmp_path):
    store = FeedbackStore(tmp_path / "data")
    outbox = Outbox(tmp_path / "outbox")
    first = rating(1)
    store.record_rating(first)  # sent, then the kiosk died before removing it from the outbox
    outbox.add(Operation.RECORD, first)
    outbox.add(Operation.UPDATE, first.enriched(reasons=["price"]))
    recorder = Recorder(StoreSender(store), Outbox(tmp_path / "outbox"))
    assert recorder.pending == 2
    assert recorder.flush() == 0
    [kept] = store.ratings()
    assert kept.reasons == ("price",)
    assert len(store.open_followups()) == 1


def test_a_damaged_outbox_stops_the_kiosk_loudly(tmp_path):
    folder = tmp_path / "outbox"
    folder.mkdir()
    (folder / "outbox.json").write_text("{not json")
    with pytest.raises(StoreCorrupt, match=r"outbox\.json"):
        Outbox(folder)


def test_an_unwritable_outbox_still_keeps_entries_in_memory(tmp_path):
    folder = tmp_path / "outbox"
    outbox = Outbox(folder)
    folder.write_text("")  # the outbox's folder is now a file: every write fails
    outbox.add(Operation.RECORD, rating(2))
    assert len(outbox) == 1
    assert outbox.write_error is not None and "could not write" in str(outbox.write_error)
    store = FeedbackStore(tmp_path / "data")
    assert Recorder(StoreSender(store), outbox).flush() == 0
    assert [r.id for r in store.ratings()] == ["tap-2"]
