"""The Twilio webhook through Flask's test client, with requests signed by twilio's RequestValidator."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_twilio import FakeTwilio
from flask.testing import FlaskClient
from sms_helpers import CUSTOMER, SHOP_NUMBER, Clock, Texter, new_sid, sign, twiml_message, write_config

from server.app import InsecureRefused, create_app
from shared.followups import FollowUpStatus
from shared.ratings import Channel, Contact, Outcome
from shared.store import FeedbackStore
from sms.records import SmsRecords
from sms.settings import DEFAULT_TEXTS


def texts(name: str) -> str:
    return DEFAULT_TEXTS[name].format(business="Corner Cafe")


def all_ratings(store: FeedbackStore) -> list[Any]:
    return list(store.ratings())


# -- security --------------------------------------------------------------------------


def test_forged_signature_gets_403_and_changes_nothing(texter: Texter, store: FeedbackStore) -> None:
    params = {"MessageSid": new_sid(), "From": CUSTOMER, "To": SHOP_NUMBER, "Body": "1"}
    forged = sign("https://feedback.example.com/sms", params, token="not-the-token")
    revision = store.revision()
    assert texter.post("/sms", params, signature=forged).status_code == 403
    assert store.revision() == revision
    assert all_ratings(store) == []


def test_missing_signature_gets_403(client: FlaskClient, store: FeedbackStore) -> None:
    response = client.post("/sms", data={"MessageSid": new_sid(), "From": CUSTOMER, "Body": "1"})
    assert response.status_code == 403
    assert all_ratings(store) == []


def test_signature_replayed_on_another_body_gets_403(texter: Texter, store: FeedbackStore) -> None:
    params = {"MessageSid": new_sid(), "From": CUSTOMER, "To": SHOP_NUMBER, "Body": "3"}
    signature = sign("https://feedback.example.com/sms", params)
    assert texter.post("/sms", params, signature=signature).status_code == 200
    tampered = {**params, "Body": "1", "MessageSid": new_sid()}
    assert texter.post("/sms", tampered, signature=signature).status_code == 403
    assert [rating.outcome for rating in all_ratings(store)] == [Outcome.EXCEEDED]


def test_replayed_request_stores_nothing_new_and_gets_the_same_reply(texter: Texter, store: FeedbackStore) -> None:
    params = {"MessageSid": new_sid(), "From": CUSTOMER, "To": SHOP_NUMBER, "Body": "1 cold coffee"}
    first = texter.post("/sms", params)
    revision = store.revision()
    second = texter.post("/sms", params)
    assert second.status_code == 200 and second.data == first.data
    assert store.revision() == revision
    assert len(all_ratings(store)) == 1 and len(store.open_followups()) == 1


def test_server_refuses_to_start_without_an_auth_token(tmp_path: Path) -> None:
    config = write_config(tmp_path, TWILIO_AUTH_TOKEN="")
    with pytest.raises(InsecureRefused, match="TWILIO_AUTH_TOKEN"):
        create_app(config)
    unsigned = create_app(config, insecure_dev=True).test_client()
    response = unsigned.post("/sms", data={"MessageSid": new_sid(), "From": CUSTOMER, "Body": "3"})
    assert response.status_code == 200


def test_oversized_body_is_refused(texter: Texter, store: FeedbackStore) -> None:
    response = texter.text("1 " + "x" * 20_000)
    assert response.status_code == 413
    assert all_ratings(store) == []


def test_per_number_rate_limit_ignores_the_flood(texter: Texter, store: FeedbackStore, clock: Clock) -> None:
    for _ in range(10):
        texter.text("lol")
    assert texter.reply_of("3") == ""  # the 11th message in a minute: ignored
    assert all_ratings(store) == []
    clock.advance(minutes=1)
    assert texter.reply_of("3") == texts("thanks_exceeded")
    assert texter.reply_of("2", sender="+12125550199") == texts("thanks_met")


def test_phone_numbers_never_reach_the_logs_in_clear(
    texter: Texter, caplog: pytest.LogCaptureFixture, send_prompt: Callable[..., Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    send_prompt()
    texter.text("1 slow")
    texter.text("STOP")
    for _ in range(12):
        texter.text("lol", sender="+12125550199")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "rate limit" in logged
    assert "2025550143" not in logged and "2125550199" not in logged


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["ok"] is True


# -- answers and conversations -------------------------------------------------------------


def test_reply_to_a_prompt_is_recorded_with_its_details(
    texter: Texter, store: FeedbackStore, send_prompt: Callable[..., Any], fake_twilio: FakeTwilio
) -> None:
    sent = send_prompt(staff="Ana", station="Till 2", touchpoint="checkout")
    assert sent.sent
    assert texter.reply_of("3!") == texts("thanks_exceeded")
    [rating] = all_ratings(store)
    assert (rating.outcome, rating.channel, rating.staff, rating.station, rating.touchpoint) == (
        Outcome.EXCEEDED,
        Channel.SMS,
        "Ana",
        "Till 2",
        "checkout",
    )
    assert rating.contact == Contact(CUSTOMER)
    assert rating.raw == "3!" and not rating.late
    assert rating.extra["prompt"] == fake_twilio.messages[0].sid


def test_unmet_sms_reply_opens_follow_up_and_next_text_is_its_comment(
    texter: Texter, store: FeedbackStore, clock: Clock
) -> None:
    assert texter.reply_of("1") == texts("ask_what_went_wrong")
    [followup] = store.open_followups()
    assert followup.channel is Channel.SMS and followup.contact == Contact(CUSTOMER)
    clock.advance(minutes=10)
    assert texter.reply_of("Nobody at the counter for 20 minutes") == texts("comment_thanks")
    [followup] = store.open_followups()
    assert followup.comment == "Nobody at the counter for 20 minutes"
    [rating] = all_ratings(store)
    assert rating.outcome is Outcome.BELOW


def test_text_after_the_comment_window_is_kept_as_later_words(
    texter: Texter, store: FeedbackStore, clock: Clock
) -> None:
    texter.text("1")
    clock.advance(minutes=31)
    assert texter.reply_of("it was the wait") == texts("comment_thanks")
    [followup] = store.open_followups()
    assert followup.comment == "" and [words.text for words in followup.later] == ["it was the wait"]


def test_rating_with_comment_keeps_it_and_says_so(texter: Texter, store: FeedbackStore) -> None:
    assert texter.reply_of("1 the wait was too long") == texts("below_noted")
    assert store.open_followups()[0].comment == "the wait was too long"


def test_a_later_rating_never_undoes_a_fell_short(
    texter: Texter, store: FeedbackStore, send_prompt: Callable[..., Any], clock: Clock
) -> None:
    send_prompt(staff="Ana")
    texter.text("1")
    clock.advance(hours=2)
    assert texter.reply_of("2") == texts("still_looking")
    [rating] = all_ratings(store)
    assert (rating.outcome, rating.staff) == (Outcome.BELOW, "Ana")
    [followup] = store.open_followups()
    assert followup.status is FollowUpStatus.OPEN and [words.text for words in followup.later] == ["2"]


def test_second_rating_for_the_same_prompt_updates_a_met_answer(
    texter: Texter, store: FeedbackStore, send_prompt: Callable[..., Any], clock: Clock
) -> None:
    send_prompt(staff="Ana")
    texter.text("2")
    clock.advance(hours=2)
    assert texter.reply_of("3") == texts("thanks_exceeded")
    [rating] = all_ratings(store)
    assert (rating.outcome, rating.staff) == (Outcome.EXCEEDED, "Ana")


def test_bare_rating_inside_the_comment_window_changes_the_answer(texter: Texter, store: FeedbackStore) -> None:
    texter.text("1")
    assert texter.reply_of("3") == texts("thanks_exceeded")
    [rating] = all_ratings(store)
    assert rating.outcome is Outcome.EXCEEDED


def test_late_reply_is_recorded_and_marked_late(
    texter: Texter, store: FeedbackStore, send_prompt: Callable[..., Any], clock: Clock
) -> None:
    send_prompt(station="Drive-thru")
    clock.advance(hours=49)
    texter.text("2")
    [rating] = all_ratings(store)
    assert rating.late and rating.station == "Drive-thru"


def test_a_new_visit_after_an_answered_conversation_expired_is_a_new_conversation(
    texter: Texter, store: FeedbackStore, clock: Clock
) -> None:
    texter.text("3")
    assert texter.reply_of("hello?") == texts("comment_thanks")  # answered: not re-asked, a person reads it
    [item] = store.open_followups()
    assert item.is_to_read and item.comment == "hello?"
    clock.advance(days=3)
    assert texter.reply_of("hello?") == texts("reask")
    assert texter.reply_of("1") == texts("ask_what_went_wrong")
    assert sorted(rating.outcome for rating in all_ratings(store)) == [Outcome.BELOW, Outcome.EXCEEDED]
    assert not any(rating.late for rating in all_ratings(store))


def test_unclear_reply_gets_one_polite_reask_and_records_no_rating(texter: Texter, store: FeedbackStore) -> None:
    assert texter.reply_of("1 2 3") == texts("reask")
    assert texter.reply_of("lol") == texts("comment_thanks")  # after the one re-ask: a person reads it
    assert all_ratings(store) == []
    assert [item.comment for item in store.open_followups() if item.is_to_read] == ["lol"]
    assert texter.reply_of("2") == texts("thanks_met")


def test_reaction_quoting_the_question_reads_the_reaction(texter: Texter, store: FeedbackStore) -> None:
    texter.text('Disliked "Corner Cafe: Did we meet your expectations today? Reply 1 ... 3 if we exceeded them."')
    [rating] = all_ratings(store)
    assert rating.outcome is Outcome.BELOW


def test_walk_in_from_a_qr_poster_takes_the_station_code(tmp_path: Path, clock: Clock) -> None:
    config = write_config(
        tmp_path, '[sms.stations]\nfront-desk = "Front desk"\n[sms.numbers]\n"+15005550007" = "Lobby"\n'
    )
    texter = Texter(create_app(config, clock=clock).test_client(), base_url="http://localhost")
    store = FeedbackStore(config.data_dir, clock=clock)
    assert texter.reply_of("Feedback #front-desk") == texts("question")
    texter.text("3")
    texter.text("2", sender="+12125550199", to="+15005550007")
    stations = {rating.contact.phone: rating.station for rating in store.ratings() if rating.contact}
    assert stations == {CUSTOMER: "Front desk", "+12125550199": "Lobby"}


def test_duplicate_delivery_gets_the_same_reply_and_stores_nothing(texter: Texter, store: FeedbackStore) -> None:
    sid = new_sid()
    first = texter.reply_of("1 rude", sid=sid)
    revision = store.revision()
    assert texter.reply_of("1 rude", sid=sid) == first
    assert store.revision() == revision


# -- opting out and in ------------------------------------------------------------------------


def test_stop_opts_out_confirms_once_and_no_prompt_follows(
    texter: Texter, send_prompt: Callable[..., Any], fake_twilio: FakeTwilio, clock: Clock
) -> None:
    assert texter.reply_of("STOP") == texts("opted_out")
    assert texter.reply_of("stop texting me") == ""
    clock.advance(days=3)
    result = send_prompt()
    assert not result.sent and result.refusal == "opted_out"
    assert fake_twilio.messages == []
    assert texter.reply_of("START") == texts("opted_in")
    assert send_prompt().sent


def test_yes_from_an_opted_out_number_opts_back_in(texter: Texter, store: FeedbackStore) -> None:
    texter.text("unsubscribe")
    assert texter.reply_of("Yes") == texts("opted_in")
    assert all_ratings(store) == []
    assert texter.reply_of("yes") == texts("thanks_met")


def test_opted_out_number_rating_is_kept_without_a_reply(texter: Texter, store: FeedbackStore) -> None:
    texter.text("STOP")
    assert texter.reply_of("3") == ""
    assert [rating.outcome for rating in all_ratings(store)] == [Outcome.EXCEEDED]


def test_help_names_the_business_and_how_to_opt_out(texter: Texter) -> None:
    answer = texter.reply_of("HELP")
    assert "Corner Cafe" in answer and "STOP" in answer


def test_status_callback_with_error_21610_records_the_opt_out(
    texter: Texter, store: FeedbackStore, send_prompt: Callable[..., Any], fake_twilio: FakeTwilio
) -> None:
    send_prompt()
    sid = fake_twilio.messages[0].sid
    assert fake_twilio.messages[0].status_callback == "https://feedback.example.com/sms/status"
    params = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21610", "To": CUSTOMER}
    assert texter.post("/sms/status", params).status_code == 204
    with store.transaction() as tx:
        records = SmsRecords(tx)
        assert records.is_opted_out(CUSTOMER)
        assert records.prompt(sid, store.clock())["status"] == "failed"


def test_status_callback_needs_a_signature(client: FlaskClient) -> None:
    response = client.post("/sms/status", data={"MessageSid": "SMx", "ErrorCode": "21610", "To": CUSTOMER})
    assert response.status_code == 403


def test_every_message_keeps_its_raw_text(texter: Texter, store: FeedbackStore) -> None:
    sid = new_sid()
    texter.text("lol 🤷", sid=sid)
    with store.transaction() as tx:
        record = SmsRecords(tx).message(CUSTOMER, sid)
    assert record is not None and record["body"] == "lol 🤷" and record["action"] == "reasked"


def test_twiml_is_well_formed_for_no_reply(texter: Texter) -> None:
    texter.text("STOP")
    response = texter.text("STOP")
    assert response.mimetype == "text/xml" and twiml_message(response) == ""
