"""The hot-spot and check-back workers keep their window between looks and read only what changed since.

Through the real store and the real twilio Client against the local fake API: what a look finds
must be what a full read would, across a new day, a restart, a restore of the data folder and a
writer in another process; and a burst of changes costs one look per gap, not one per change.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fake_twilio import FakeTwilio
from sms_helpers import CUSTOMER, Clock, Texter

from shared.backup import backup
from shared.config import Config
from shared.door import Topic
from shared.followups import FollowUp, Resolution
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
from sms import watching
from sms.check_back import CheckBacker
from sms.hot_spot_alerts import SpotAlerter
from sms.sender import TwilioSender
from sms.settings import DEFAULT_TEXTS, load_sms_config

MANAGER = "+14155550100"
QUESTION = DEFAULT_TEXTS["check_back"].format(business="Corner Cafe")


def alerter_for(config: Config, store: FeedbackStore, clock: Clock) -> SpotAlerter:
    settings = load_sms_config(config)
    return SpotAlerter(settings, store, TwilioSender(settings), clock)


def tap(store: FeedbackStore, clock: Clock, outcome: Outcome, station: str = "Till 1") -> Rating:
    clock.advance(minutes=1)
    rating = Rating(id=str(uuid.uuid4()), ts=clock(), channel=Channel.KIOSK, outcome=outcome, station=station)
    return store.record_rating(rating).rating


def test_answers_recorded_between_looks_are_counted_and_old_ones_forgotten(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerter = alerter_for(config, store, clock)
    for _ in range(30):  # half an hour of good answers, looked at after each
        tap(store, clock, Outcome.MET)
        assert alerter.run_once() == []
    assert len(alerter.window) == 15  # the window's minutes, not the day
    other = FeedbackStore(config.data_dir, clock=clock)  # the kiosk, say: another process's view
    for _ in range(15):
        tap(other, clock, Outcome.BELOW)
    [spot] = alerter.run_once()
    assert (spot.answers, spot.below) == (15, 15) and len(fake_twilio.to(MANAGER)) == 1


def test_a_hot_spot_across_midnight(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    clock.now = datetime(2026, 11, 24, 23, 55, tzinfo=UTC)
    alerter = alerter_for(config, store, clock)
    tap(store, clock, Outcome.BELOW)
    tap(store, clock, Outcome.BELOW)  # 23:57
    assert alerter.run_once() == []
    clock.advance(minutes=5)  # 00:02, before today's first answer
    assert alerter.run_once() == []
    tap(store, clock, Outcome.BELOW)
    tap(store, clock, Outcome.MET)  # 00:04
    [spot] = alerter.run_once()
    assert (spot.answers, spot.below) == (4, 3)


def test_a_restarted_server_counts_the_answers_before_it(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    first = alerter_for(config, store, clock)
    for _ in range(3):
        tap(store, clock, Outcome.BELOW)
        assert first.run_once() == []
    restarted = FeedbackStore(config.data_dir, clock=clock)
    tap(restarted, clock, Outcome.BELOW)
    [spot] = alerter_for(config, restarted, clock).run_once()
    assert spot.below == 4


def test_a_running_server_reads_a_restored_data_folder_anew(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    alerter = alerter_for(config, store, clock)
    for _ in range(3):
        tap(store, clock, Outcome.MET)
    backup(store, tmp_path / "copy")
    tap(store, clock, Outcome.BELOW)
    tap(store, clock, Outcome.BELOW)
    assert alerter.run_once() == []  # 2 of 5 fell short
    shutil.rmtree(config.data_dir)
    shutil.copytree(tmp_path / "copy", config.data_dir)  # the two fell short are gone with the restore
    for _ in range(3):
        tap(store, clock, Outcome.BELOW)
    [spot] = alerter.run_once()  # a window kept across the restore would say 5 of 8
    assert (spot.answers, spot.below) == (6, 3)


def resolved(store: FeedbackStore, texter: Texter) -> FollowUp:
    texter.text("1")
    [followup] = store.open_followups()
    return store.resolve(followup.id, Resolution.RECOVERED, by="dee")


def test_a_resolution_after_the_first_look_is_checked_back_once(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    settings = load_sms_config(config)
    backer = CheckBacker(settings, store, TwilioSender(settings), clock)
    assert backer.run_once() is None
    followup = resolved(store, texter)
    assert backer.run_once() == followup.resolved_at + timedelta(minutes=30)
    clock.advance(minutes=30)
    for _ in range(3):
        backer.run_once()
    restarted = FeedbackStore(config.data_dir, clock=clock)
    CheckBacker(settings, restarted, TwilioSender(settings), clock).run_once()
    assert [m.body for m in fake_twilio.to(CUSTOMER) if m.body == QUESTION] == [QUESTION]


def test_a_running_check_backer_reads_a_restored_data_folder_anew(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    settings = load_sms_config(config)
    backer = CheckBacker(settings, store, TwilioSender(settings), clock)
    followup = resolved(store, texter)
    backup(store, tmp_path / "copy")  # resolved, no check-back kept yet
    backer.run_once()
    shutil.rmtree(config.data_dir)
    shutil.copytree(tmp_path / "copy", config.data_dir)
    clock.advance(minutes=30)
    backer.run_once()  # the restored folder has no check-back: kept again from the archive, and sent
    [check] = store.check_backs(clock().date(), clock().date())
    assert check.followup_id == followup.id and check.sent_at is not None


def test_a_burst_of_changes_costs_one_look_per_gap(store: FeedbackStore, clock: Clock) -> None:
    looks: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watching.watch,
        args=(store, {Topic.RATINGS}, lambda: looks.append(time.monotonic()), stop),
        kwargs={"poll": 0.005, "gap": 0.2},
    )
    thread.start()
    try:
        started = time.monotonic()
        while time.monotonic() - started < 0.5:  # a rating every few milliseconds
            tap(store, clock, Outcome.MET)
        last = time.monotonic()
        deadline = last + 5
        while looks[-1] < last and time.monotonic() < deadline:  # the last ones are looked at too
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(looks))
    assert looks[-1] >= last and len(looks) <= 0.5 / 0.2 + 2
