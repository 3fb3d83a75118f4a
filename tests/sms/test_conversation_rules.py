"""Conversation rules that need a clock: the correction window, words after a manager closed the loop,
Twilio's OptOutType, and alerts for a re-flag (the real app through Flask's test client, a settable clock)."""

from __future__ import annotations

from pathlib import Path

from fake_twilio import FakeTwilio
from sms_helpers import CUSTOMER, Clock, Texter, new_sid, write_config

from server.app import create_app
from shared.followups import FollowUpStatus, Resolution
from shared.ratings import Outcome
from shared.store import FeedbackStore
from sms.alerts import NEW, Alerter
from sms.records import SmsRecords
from sms.sender import TwilioSender
from sms.settings import DEFAULT_TEXTS, load_sms_config

LONG = "The staff were lovely but I waited 40 minutes for a coffee, which is ridiculous."


def texts(name: str) -> str:
    return DEFAULT_TEXTS[name].format(business="Corner Cafe")


def test_a_bare_rating_after_the_correction_window_does_not_change_a_fell_short(
    texter: Texter, store: FeedbackStore, clock: Clock
) -> None:
    texter.text("1")
    clock.advance(minutes=2)
    assert texter.reply_of("3") == texts("still_looking")
    [rating] = store.ratings()
    assert rating.outcome is Outcome.BELOW
    [followup] = store.open_followups()
    assert [words.text for words in followup.later] == ["3"]


def test_the_correction_window_is_a_setting(tmp_path: Path, clock: Clock, twilio_env: dict[str, str]) -> None:
    config = write_config(tmp_path, "[sms]\ncorrection_window_minutes = 10\n", **twilio_env)
    store = FeedbackStore(config.data_dir, clock=clock)
    texter = Texter(create_app(config, store=store, clock=clock).test_client())
    texter.text("1")
    clock.advance(minutes=9)
    assert texter.reply_of("2") == texts("thanks_met")
    assert [rating.outcome for rating in store.ratings()] == [Outcome.MET]
    assert store.open_followups() == []


def test_words_after_a_manager_closed_the_loop_become_a_text_to_read(
    texter: Texter, store: FeedbackStore, clock: Clock
) -> None:
    texter.text("1 the coffee was cold")
    [followup] = store.open_followups()
    store.resolve(followup.id, Resolution.APOLOGISED, by="Dee")
    clock.advance(minutes=20)
    sid = new_sid()
    assert texter.reply_of("still no refund though", sid=sid) == texts("comment_thanks")
    [item] = store.open_followups()
    assert (item.id, item.is_to_read, item.comment) == (f"tr-{sid}", True, "still no refund though")
    assert item.rating_id == followup.rating_id  # the answer it follows
    assert store.get_followup(followup.id).status is FollowUpStatus.RESOLVED


def test_an_opted_out_number_is_still_read_but_not_answered(texter: Texter, store: FeedbackStore) -> None:
    texter.text("STOP")
    assert texter.reply_of(LONG) == ""
    [item] = store.open_followups()
    assert item.is_to_read and item.comment == LONG


def test_twilio_opt_out_type_decides_what_a_keyword_means(texter: Texter, store: FeedbackStore) -> None:
    """With Twilio's Advanced Opt-Out, its own keywords (any language) arrive with OptOutType."""
    params = {"MessageSid": new_sid(), "From": CUSTOMER, "To": "+15005550006", "Body": "ARRET"}
    texter.post("/sms", {**params, "OptOutType": "STOP"})
    with store.transaction() as tx:
        assert SmsRecords(tx).is_opted_out(CUSTOMER)
    texter.post("/sms", {**params, "MessageSid": new_sid(), "Body": "COMMENCER", "OptOutType": "START"})
    with store.transaction() as tx:
        assert not SmsRecords(tx).is_opted_out(CUSTOMER)
    assert store.open_followups() == []  # neither was read as a message


def test_a_re_flag_is_alerted_again_and_a_legacy_alert_record_still_counts(
    tmp_path: Path, clock: Clock, fake_twilio: FakeTwilio, twilio_env: dict[str, str]
) -> None:
    config = write_config(tmp_path, '[alerts]\nmanagers = ["+14155550100"]\n', **twilio_env)
    settings = load_sms_config(config)
    store = FeedbackStore(config.data_dir, clock=clock)
    texter = Texter(create_app(config, store=store, clock=clock).test_client())
    alerter = Alerter(settings, store, TwilioSender(settings), clock=clock)
    texter.text("1")
    [followup] = store.open_followups()
    with store.transaction() as tx, SmsRecords(tx) as records:  # as written before re-flags existed
        records.mark_alerted(followup.id, followup.flagged_at, NEW, clock())
        alerts, key = records._alerts(followup.flagged_at), f"{NEW}:{followup.id}"
        tx.change(alerts, {"alerts": ({key: {**(tx.get(alerts, "alerts", key) or {}), "flagged": None}}, [])})
    assert alerter.run_once() == 0
    texter.text("2")
    clock.advance(minutes=1)
    texter.text("1")
    assert alerter.run_once() == 1
    assert alerter.run_once() == 0
    [alert] = fake_twilio.to("+14155550100")
    assert followup.ref in alert.body


def test_fell_short_again_after_a_manager_closed_the_loop_reopens_it(
    texter: Texter, store: FeedbackStore, clock: Clock
) -> None:
    texter.text("1 the coffee was cold")
    [followup] = store.open_followups()
    store.resolve(followup.id, Resolution.APOLOGISED, by="Dee")
    clock.advance(minutes=40)
    assert texter.reply_of("1") == texts("ask_what_went_wrong")
    [reopened] = store.open_followups()
    assert reopened.id == followup.id and reopened.flagged_at == clock()


def test_managers_phones_get_fell_shorts_not_texts_to_read(
    tmp_path: Path, clock: Clock, fake_twilio: FakeTwilio, twilio_env: dict[str, str]
) -> None:
    config = write_config(tmp_path, '[alerts]\nmanagers = ["+14155550100"]\n', **twilio_env)
    store = FeedbackStore(config.data_dir, clock=clock)
    texter = Texter(create_app(config, store=store, clock=clock).test_client())
    alerter = Alerter(load_sms_config(config), store, TwilioSender(load_sms_config(config)), clock=clock)
    assert alerter.run_once() == 0  # alerts switched on with nothing open: no summary
    texter.text(LONG)
    texter.text("1", sender="+12025550199")
    fell_short, to_read = store.open_followups()
    assert not fell_short.is_to_read and to_read.is_to_read
    assert alerter.run_once() == 1
    [alert] = fake_twilio.to("+14155550100")
    assert fell_short.ref in alert.body and to_read.ref not in alert.body
