""" "Did we make it right?": when the text goes (and when it never does), and what the answer does.

The check-backer runs on the real store with the real twilio Client against the local fake API;
answers go through the real Flask app's webhook (the end-to-end run is in test_loop_end_to_end.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import CUSTOMER, Clock, Texter, write_config

from shared.check_backs import CheckBackStatus
from shared.config import Config
from shared.followups import FollowUp, FollowUpStatus, Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
from sms.check_back import CheckBacker
from sms.records import SmsRecords
from sms.sender import TwilioSender
from sms.settings import DEFAULT_TEXTS, load_sms_config

QUESTION = DEFAULT_TEXTS["check_back"].format(business="Corner Cafe")


def checker(config: Config, store: FeedbackStore, clock: Clock) -> CheckBacker:
    settings = load_sms_config(config)
    return CheckBacker(settings, store, TwilioSender(settings), clock)


def fell_short(texter: Texter, store: FeedbackStore) -> FollowUp:
    texter.text("1")
    [followup] = store.open_followups()
    return followup


def checked_back(config: Config, store: FeedbackStore, clock: Clock, texter: Texter) -> FollowUp:
    """A texted fell short, resolved as recovered, and the check-back sent 30 minutes later."""
    followup = fell_short(texter, store)
    store.resolve(followup.id, Resolution.RECOVERED, by="dee")
    clock.advance(minutes=30)
    checker(config, store, clock).run_once()
    return followup


def asked(fake_twilio: FakeTwilio) -> list[str]:
    return [message.body for message in fake_twilio.to(CUSTOMER) if message.body == QUESTION]


def test_texted_once_thirty_minutes_after_the_resolution(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    backer = checker(config, store, clock)
    followup = fell_short(texter, store)
    store.resolve(followup.id, Resolution.RECOVERED, by="dee")
    assert backer.run_once() == clock() + timedelta(minutes=30)  # when to look again
    clock.advance(minutes=29)
    backer.run_once()
    assert asked(fake_twilio) == []
    clock.advance(minutes=1)
    backer.run_once()
    backer.run_once()
    assert asked(fake_twilio) == [QUESTION]
    [check] = store.check_backs(clock().date(), clock().date())
    assert check.status is CheckBackStatus.SENT and check.resolution is Resolution.RECOVERED


def test_quiet_hours_hold_the_text_until_morning(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    backer = checker(config, store, clock)
    clock.advance(hours=8, minutes=45)  # 20:45 in the shop's zone (UTC); quiet from 21:00 to 08:00
    followup = fell_short(texter, store)
    store.resolve(followup.id, Resolution.APOLOGISED, by="dee")
    backer.run_once()
    clock.advance(minutes=30)  # due at 21:15: quiet
    assert backer.run_once() == clock() + timedelta(minutes=1)
    clock.advance(hours=10, minutes=44)  # 07:59
    backer.run_once()
    assert asked(fake_twilio) == []
    clock.advance(minutes=1)  # 08:00
    backer.run_once()
    assert asked(fake_twilio) == [QUESTION]


@pytest.mark.parametrize("resolution", [Resolution.COULD_NOT_REACH, Resolution.NO_ACTION_NEEDED])
def test_not_asked_when_the_manager_did_not_reach_them(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio, resolution: Resolution
) -> None:
    backer = checker(config, store, clock)
    store.resolve(fell_short(texter, store).id, resolution, by="dee")
    clock.advance(hours=1)
    backer.run_once()
    assert asked(fake_twilio) == [] and store.open_check_backs() == []


def test_kiosk_number_without_consent_is_never_texted(
    config: Config, store: FeedbackStore, clock: Clock, fake_twilio: FakeTwilio
) -> None:
    backer = checker(config, store, clock)
    for number, consent in (("k1", False), ("k2", True)):
        rating = Rating(
            id=number,
            ts=clock(),
            channel=Channel.KIOSK,
            outcome=Outcome.BELOW,
            contact=Contact(CUSTOMER, consent=consent),
        )
        store.record_rating(rating)
        store.resolve(f"fu-{number}", Resolution.RECOVERED, by="dee")
    clock.advance(minutes=30)
    backer.run_once()
    assert [check.followup_id for check in store.check_backs(clock().date(), clock().date())] == ["fu-k2"]
    assert asked(fake_twilio) == [QUESTION]


def test_opted_out_number_is_skipped(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    backer = checker(config, store, clock)
    followup = fell_short(texter, store)
    store.resolve(followup.id, Resolution.RECOVERED, by="dee")
    texter.text("STOP")
    clock.advance(minutes=30)
    backer.run_once()
    [check] = store.check_backs(clock().date(), clock().date())
    assert (check.status, check.why) == (CheckBackStatus.SKIPPED, "opted out") and asked(fake_twilio) == []


def test_switched_off(tmp_path: Path, twilio_env: dict[str, str], clock: Clock, fake_twilio: FakeTwilio) -> None:
    config = write_config(tmp_path, "[sms]\ncheck_back = false\n", **twilio_env)
    store = FeedbackStore(config.data_dir, clock=clock)
    store.record_rating(
        Rating(id="k1", ts=clock(), channel=Channel.KIOSK, outcome=Outcome.BELOW, contact=Contact(CUSTOMER))
    )
    store.resolve("fu-k1", Resolution.RECOVERED, by="dee")
    clock.advance(hours=1)
    assert checker(config, store, clock).run_once() is None
    assert store.open_check_backs() == [] and fake_twilio.messages == []


def test_yes_is_kept_and_thanked_and_a_later_text_is_read_as_ever(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    followup = checked_back(config, store, clock, texter)
    assert texter.reply_of("3 you did, thanks") == DEFAULT_TEXTS["check_back_thanks"]
    [check] = store.check_backs(clock().date(), clock().date())
    assert (check.status, check.answer, check.made_right) == (CheckBackStatus.ANSWERED, Outcome.EXCEEDED, True)
    kept = store.get_followup(followup.id)
    assert kept.status is FollowUpStatus.RESOLVED and kept.later[-1].text == "Did we make it right? 3 you did, thanks"
    assert texter.reply_of("2") != DEFAULT_TEXTS["check_back_thanks"]  # answered once: no longer a check-back


def test_fell_short_again_reopens_it_as_a_new_flag(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    followup = checked_back(config, store, clock, texter)
    clock.advance(minutes=5)
    assert texter.reply_of("1") == DEFAULT_TEXTS["check_back_sorry"]
    [again] = store.open_followups()
    assert again.id == followup.id and again.flagged_at == clock() and again.status is FollowUpStatus.OPEN


def test_an_answer_after_the_window_is_read_as_an_ordinary_text(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    checked_back(config, store, clock, texter)
    clock.advance(hours=49)  # the answer window is the prompt's expiry (48 h)
    assert texter.reply_of("yes") not in (DEFAULT_TEXTS["check_back_thanks"], DEFAULT_TEXTS["check_back_sorry"])
    checker(config, store, clock).run_once()
    [check] = store.check_backs(clock().date() - timedelta(days=3), clock().date())
    assert check.status is CheckBackStatus.UNANSWERED and store.open_check_backs() == []
    assert check.phone == ""  # closed: the customer's number is no longer kept with it


def test_a_question_sent_after_the_check_back_takes_the_reply(
    config: Config,
    store: FeedbackStore,
    clock: Clock,
    texter: Texter,
    send_prompt,  # type: ignore[no-untyped-def]
) -> None:
    checked_back(config, store, clock, texter)
    clock.advance(hours=2)
    assert send_prompt(staff="Ana").sent  # a new visit, and its question
    assert texter.reply_of("2") == DEFAULT_TEXTS["thanks_met"]
    assert [check.status for check in store.open_check_backs()] == [CheckBackStatus.SENT]


def test_number_opted_out_upstream_is_skipped_and_remembered(
    config: Config, store: FeedbackStore, clock: Clock, texter: Texter, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.opted_out.add(CUSTOMER)
    checked_back(config, store, clock, texter)
    [check] = store.check_backs(clock().date(), clock().date())
    assert (check.status, check.why) == (CheckBackStatus.SKIPPED, "send failed (Twilio error 21610)")
    assert CUSTOMER not in str(check.to_record())
    with store.transaction() as tx:
        assert SmsRecords(tx).is_opted_out(CUSTOMER)
