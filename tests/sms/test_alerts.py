"""Manager alerts: each new fell-short follow-up, from SMS or the kiosk, texted once, number masked."""

from __future__ import annotations

import uuid
from pathlib import Path

from fake_twilio import FakeTwilio
from sms_helpers import CUSTOMER, Clock, Texter, write_config

from shared.config import Config
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
from sms.alerts import Alerter
from sms.sender import TwilioSender
from sms.settings import load_sms_config

MANAGER = "+14155550100"
BOSS = "+12125550199"


def alerter_for(config: Config, store: FeedbackStore, clock: Clock) -> Alerter:
    settings = load_sms_config(config)
    return Alerter(settings, store, TwilioSender(settings), clock)


def kiosk_tap(store: FeedbackStore, clock: Clock, outcome: Outcome = Outcome.BELOW) -> Rating:
    rating = Rating(id=str(uuid.uuid4()), ts=clock(), channel=Channel.KIOSK, outcome=outcome, station="Till 1")
    return store.record_rating(rating).rating


def test_sms_fell_short_alerts_managers_once_with_number_masked(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    alerter = alerter_for(config, store, clock)
    texter.text("1 rude")
    texter.text("3", sender="+12015550123")
    assert alerter.run_once() == 1
    [alert] = fake_twilio.to(MANAGER)
    assert "Corner Cafe" in alert.body and "+1 ••••••••43" in alert.body and "2025550143" not in alert.body
    assert alerter.run_once() == 0
    # A new server process (restart) remembers what was sent.
    assert alerter_for(config, FeedbackStore(config.data_dir, clock=clock), clock).run_once() == 0
    assert len(fake_twilio.to(MANAGER)) == 1


def test_duplicate_delivery_sends_no_second_alert(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    alerter = alerter_for(config, store, clock)
    texter.text("1", sid="SMdup")
    alerter.run_once()
    texter.text("1", sid="SMdup")
    alerter.run_once()
    assert len(fake_twilio.to(MANAGER)) == 1


def test_kiosk_fell_short_is_alerted_too(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    kiosk_tap(store, clock)
    kiosk_tap(store, clock, Outcome.MET)
    assert alerter_for(config, store, clock).run_once() == 1
    [alert] = fake_twilio.to(MANAGER)
    assert "Till 1" in alert.body and "not given" in alert.body


def test_escalated_follow_up_texts_escalation_contacts_once(
    tmp_path: Path, twilio_env: dict[str, str], clock: Clock, fake_twilio: FakeTwilio
) -> None:
    config = write_config(tmp_path, f'[alerts]\nmanagers = ["{MANAGER}"]\nescalation = ["{BOSS}"]\n', **twilio_env)
    store = FeedbackStore(config.data_dir, clock=clock)
    alerter = alerter_for(config, store, clock)
    rating = kiosk_tap(store, clock)
    alerter.run_once()
    clock.advance(minutes=20)
    store.escalate(f"fu-{rating.id}")
    assert alerter.run_once() == 1 and alerter.run_once() == 0
    [escalation] = fake_twilio.to(BOSS)
    assert "escalated" in escalation.body


def test_old_follow_ups_are_left_to_the_console(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    kiosk_tap(store, clock)
    clock.advance(hours=3)
    assert alerter_for(config, store, clock).run_once() == 0


def test_failed_alert_is_retried_later(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.opted_out.add(MANAGER)
    kiosk_tap(store, clock)
    alerter = alerter_for(config, store, clock)
    assert alerter.run_once() == 0
    fake_twilio.opted_out.clear()
    assert alerter.run_once() == 1


def test_watch_thread_alerts_on_a_change_and_stops(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerter = alerter_for(config, store, clock)
    thread, stop = alerter.start(poll=0.02)
    try:
        other_process_store = FeedbackStore(config.data_dir, clock=clock)
        kiosk_tap(other_process_store, clock)
        fake_twilio.wait_for(1, timeout=5)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert [message.to for message in fake_twilio.messages] == [MANAGER]
    assert CUSTOMER not in fake_twilio.messages[0].body
