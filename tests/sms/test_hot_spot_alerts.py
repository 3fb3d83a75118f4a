"""Hot-spot alerts through the real store: texted once per window and station, kept for the console and restarts."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import NOON, Clock, write_config

from shared.config import Config, ConfigError
from shared.hot_spots import Spot, SpotKind
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
from sms.hot_spot_alerts import SpotAlerter, spot_text
from sms.sender import TwilioSender
from sms.settings import BUSINESS_NAME_BUDGET, gsm7_length, load_sms_config

MANAGER = "+14155550100"


def alerter_for(config: Config, store: FeedbackStore, clock: Clock) -> SpotAlerter:
    settings = load_sms_config(config)
    return SpotAlerter(settings, store, TwilioSender(settings), clock)


def tap(store: FeedbackStore, clock: Clock, outcome: Outcome, station: str = "Till 1", *reasons: str) -> None:
    clock.now += timedelta(minutes=1)
    rating = Rating(
        id=str(uuid.uuid4()), ts=clock(), channel=Channel.KIOSK, outcome=outcome, station=station, reasons=reasons
    )
    store.record_rating(rating)


def test_a_hot_spot_is_texted_once_per_window(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerter = alerter_for(config, store, clock)
    for outcome in (Outcome.BELOW, Outcome.MET, Outcome.BELOW):
        tap(store, clock, outcome, "Till 1", "wait_time")
    assert alerter.run_once() == [] and fake_twilio.to(MANAGER) == []
    tap(store, clock, Outcome.MET)
    [spot] = alerter.run_once()
    [text] = fake_twilio.to(MANAGER)
    assert text.body == "Corner Cafe: hot spot at Till 1: 2 of 4 fell short in 15 min (50%). Top reason: Wait time"
    for _ in range(5):  # worse, but within the same window
        tap(store, clock, Outcome.BELOW, "Till 1", "rude")
        assert alerter.run_once() == []
    assert len(fake_twilio.to(MANAGER)) == 1
    clock.now = spot.at + timedelta(minutes=15)
    tap(store, clock, Outcome.BELOW, "Till 1", "rude")
    [again] = alerter.run_once()
    # (T+1, T+16]: four of the five taps after the alert, and this one; the alert's window is over
    assert (again.answers, again.below, again.top_reason) == (5, 5, "rude")
    assert len(fake_twilio.to(MANAGER)) == 2


def test_a_restarted_server_does_not_text_again_and_the_console_sees_the_spot(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    for _ in range(4):
        tap(store, clock, Outcome.BELOW, "Patio")
    assert len(alerter_for(config, store, clock).run_once()) == 1
    restarted = FeedbackStore(config.data_dir, clock=clock)
    assert alerter_for(config, restarted, clock).run_once() == []
    assert len(fake_twilio.to(MANAGER)) == 1
    [seen] = restarted.spots_since(clock() - timedelta(hours=1))
    assert (seen.station, seen.below, seen.answers) == ("Patio", 4, 4)


def test_suspect_taps_are_left_out(config: Config, store: FeedbackStore, clock: Clock) -> None:
    for _ in range(6):
        clock.now += timedelta(seconds=5)
        store.record_rating(
            Rating(
                id=str(uuid.uuid4()),
                ts=clock(),
                channel=Channel.KIOSK,
                outcome=Outcome.BELOW,
                station="Till 1",
                suspect=True,
            )
        )
    assert alerter_for(config, store, clock).run_once() == []


def test_a_great_streak_when_asked_for(
    tmp_path: Path, twilio_env: dict[str, str], clock: Clock, fake_twilio: FakeTwilio
) -> None:
    toml = '[alerts]\nmanagers = ["+14155550100"]\nhot_spot = false\ngreat_streak = { min_answers = 3 }\n'
    config = write_config(tmp_path, toml, **twilio_env)
    store = FeedbackStore(config.data_dir, clock=clock)
    for _ in range(3):
        tap(store, clock, Outcome.EXCEEDED, "Patio")
    [streak] = alerter_for(config, store, clock).run_once()
    assert streak.kind is SpotKind.GREAT_STREAK
    assert fake_twilio.to(MANAGER)[0].body == (
        "Corner Cafe: great streak at Patio: 3 answers in 60 min, none fell short."
    )


@pytest.mark.parametrize("kind", list(SpotKind))
def test_the_default_texts_fit_one_gsm7_segment(config: Config, kind: SpotKind) -> None:
    settings = dataclasses.replace(load_sms_config(config), business_name="B" * BUSINESS_NAME_BUDGET)
    spot = Spot(kind, "S" * 20, NOON, timedelta(minutes=15), 40, 25, "friendliness")
    length = gsm7_length(spot_text(settings, spot))
    assert length is not None and length <= 160


def test_a_bad_hot_spot_setting_is_one_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[alerts]\nhot_spot = { share = 2 }\n")
    with pytest.raises(ConfigError, match=r"\[alerts\] hot_spot share must be a fraction"):
        load_sms_config(config)
