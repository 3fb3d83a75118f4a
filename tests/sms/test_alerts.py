"""Manager alerts: each new fell-short follow-up, from SMS or the kiosk, texted once, number masked.

The alerter is started on the store before the flags come in, as the server does: what was
already open when alerts were switched on gets one summary text instead (see the backlog tests).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import CUSTOMER, NOON, Clock, Texter, write_config

from shared.config import Config
from shared.followups import FollowUp
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
from sms.alerts import ESCALATED, NEW, Alerter, alert_key, alert_text
from sms.records import SmsRecords
from sms.sender import TwilioSender
from sms.settings import BUSINESS_NAME_BUDGET, SmsConfig, gsm7_length, load_sms_config

MANAGER = "+14155550100"
BOSS = "+12125550199"


def alerter_for(config: Config, store: FeedbackStore, clock: Clock) -> Alerter:
    settings = load_sms_config(config)
    return Alerter(settings, store, TwilioSender(settings), clock)


def started_alerter(config: Config, store: FeedbackStore, clock: Clock) -> Alerter:
    """An alerter that has had its first look at the store, as the server's has right after start."""
    alerter = alerter_for(config, store, clock)
    alerter.run_once()
    return alerter


def kiosk_tap(
    store: FeedbackStore, clock: Clock, outcome: Outcome = Outcome.BELOW, reasons: tuple[str, ...] = ()
) -> Rating:
    rating = Rating(
        id=str(uuid.uuid4()), ts=clock(), channel=Channel.KIOSK, outcome=outcome, station="Till 1", reasons=reasons
    )
    return store.record_rating(rating).rating


def test_sms_fell_short_alerts_managers_once_with_number_masked(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    alerter = started_alerter(config, store, clock)
    texter.text("1 rude")
    texter.text("3", sender="+12015550123")
    assert alerter.run_once() == 1
    [alert] = fake_twilio.to(MANAGER)
    assert "Corner Cafe" in alert.body and "+1 ********43" in alert.body and "2025550143" not in alert.body
    assert alerter.run_once() == 0
    # A new server process (restart) remembers what was sent.
    assert alerter_for(config, FeedbackStore(config.data_dir, clock=clock), clock).run_once() == 0
    assert len(fake_twilio.to(MANAGER)) == 1


def test_duplicate_delivery_sends_no_second_alert(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    alerter = started_alerter(config, store, clock)
    texter.text("1", sid="SMdup")
    alerter.run_once()
    texter.text("1", sid="SMdup")
    alerter.run_once()
    assert len(fake_twilio.to(MANAGER)) == 1


def test_kiosk_fell_short_is_alerted_too(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerter = started_alerter(config, store, clock)
    kiosk_tap(store, clock)
    kiosk_tap(store, clock, Outcome.MET)
    assert alerter.run_once() == 1
    [alert] = fake_twilio.to(MANAGER)
    assert "Till 1" in alert.body and "not given" in alert.body


def test_escalated_follow_up_texts_escalation_contacts_once(
    tmp_path: Path, twilio_env: dict[str, str], clock: Clock, fake_twilio: FakeTwilio
) -> None:
    config = write_config(tmp_path, f'[alerts]\nmanagers = ["{MANAGER}"]\nescalation = ["{BOSS}"]\n', **twilio_env)
    store = FeedbackStore(config.data_dir, clock=clock)
    alerter = started_alerter(config, store, clock)
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
    alerter = started_alerter(config, store, clock)
    kiosk_tap(store, clock)
    clock.advance(hours=3)
    assert alerter.run_once() == 0


def test_failed_alert_is_retried_later(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerter = started_alerter(config, store, clock)
    fake_twilio.opted_out.add(MANAGER)
    kiosk_tap(store, clock)
    assert alerter.run_once() == 0
    fake_twilio.opted_out.clear()
    assert alerter.run_once() == 1


def test_watch_thread_alerts_on_a_change_and_stops(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerter = started_alerter(config, store, clock)
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


# -- switching alerts on with a backlog -------------------------------------------------


def test_switching_alerts_on_with_a_backlog_sends_one_summary_then_only_new_flags(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    for _ in range(13):
        kiosk_tap(store, clock)
    assert alerter_for(config, store, clock).run_once() == 1
    [summary] = fake_twilio.to(MANAGER)
    assert "13 already open" in summary.body and "console" in summary.body
    fresh = kiosk_tap(store, clock, reasons=("wait_time",))
    # A restart: the backlog stays handled, the new flag is texted once.
    restarted = alerter_for(config, FeedbackStore(config.data_dir, clock=clock), clock)
    assert restarted.run_once() == 1 and restarted.run_once() == 0
    assert alerter_for(config, FeedbackStore(config.data_dir, clock=clock), clock).run_once() == 0
    _summary, alert = fake_twilio.to(MANAGER)
    assert f"fu-{fresh.id}" not in alert.body and FollowUp.for_rating(fresh, now=clock()).ref in alert.body


def test_alerts_switched_off_and_on_again_summarise_what_came_in_meanwhile(
    tmp_path: Path, twilio_env: dict[str, str], clock: Clock, fake_twilio: FakeTwilio
) -> None:
    on = write_config(tmp_path, f'[alerts]\nmanagers = ["{MANAGER}"]\n', **twilio_env)
    store = FeedbackStore(on.data_dir, clock=clock)
    started_alerter(on, store, clock)
    kiosk_tap(store, clock)
    assert alerter_for(on, store, clock).run_once() == 1
    off = write_config(tmp_path, "", **twilio_env)
    assert started_alerter(off, store, clock).run_once() == 0
    kiosk_tap(store, clock)
    kiosk_tap(store, clock)
    on = write_config(tmp_path, f'[alerts]\nmanagers = ["{MANAGER}"]\n', **twilio_env)
    assert alerter_for(on, store, clock).run_once() == 1
    assert "2 already open" in fake_twilio.to(MANAGER)[-1].body
    assert len(fake_twilio.to(MANAGER)) == 2


def test_an_empty_store_gets_no_summary(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    assert alerter_for(config, store, clock).run_once() == 0
    assert fake_twilio.messages == []


# -- what an alert says ------------------------------------------------------------------

HOSTILE_COMMENT = "1 too slow [/bold] really ‘awful’ 😡 " + "x" * 200


def followup(**fields: object) -> FollowUp:
    rating = Rating(
        id="SM" + "a" * 32,
        ts=NOON,
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        station="Front desk",
        staff="Ana",
        reasons=("wait_time", "retired_reason"),
        comment=HOSTILE_COMMENT,
        contact=Contact("+12025550143", consent=True),
    )
    return dataclasses.replace(FollowUp.for_rating(rating, now=NOON), **fields)


@pytest.mark.parametrize("kind", [NEW, ESCALATED])
def test_default_alerts_fit_one_gsm7_segment_with_labels_and_the_short_reference(kind: str) -> None:
    settings = SmsConfig(business_name="B" * BUSINESS_NAME_BUDGET)
    item = followup(escalated_at=NOON + timedelta(minutes=20))
    text = alert_text(settings, item, kind)
    length = gsm7_length(text)
    assert length is not None and length <= 160, (length, text)
    assert "Wait time, Retired reason" in text and "wait_time" not in text
    assert item.ref in text and item.id not in text
    assert '"1 too slow [/bold]' in text and text.endswith('..."')


def test_the_summary_text_fits_one_gsm7_segment() -> None:
    settings = SmsConfig(business_name="B" * BUSINESS_NAME_BUDGET)
    length = gsm7_length(settings.text("alert_backlog", count="1000"))
    assert length is not None and length <= 160


def test_alerts_read_the_shops_reason_labels_and_id_means_the_reference(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[kiosk]\nreasons = { wait_time = "Queue too long" }\n'
        '[sms.texts]\nalert = "Short {id}: {reasons}. {comment}"\n',
    )
    item = followup(comment="", reasons=("wait_time",))
    assert alert_text(load_sms_config(config), item, NEW) == f"Short {item.ref}: Queue too long."


def test_a_store_that_alerted_before_the_switch_was_recorded_gets_no_summary(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    alerted = FollowUp.for_rating(kiosk_tap(store, clock), now=clock())
    with store.transaction() as tx, SmsRecords(tx) as records:  # as a server of the previous version left it
        records.mark_alerted(*alert_key(store.get_followup(alerted.id)), NEW, clock())
    fresh = kiosk_tap(store, clock)
    assert alerter_for(config, store, clock).run_once() == 1
    [alert] = fake_twilio.to(MANAGER)
    assert FollowUp.for_rating(fresh, now=clock()).ref in alert.body


def test_a_comment_keeps_to_gsm7_so_the_alert_stays_one_segment() -> None:
    text = alert_text(SmsConfig(business_name="Cafe"), followup(comment="‘awful’ 😡 façade"), NEW)
    assert text.endswith("\"'awful' facade\"") and gsm7_length(text) is not None
