"""Pure sending and conversation rules, each with its clock passed in."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.ratings import Outcome
from sms.conversations import Conversation, RateLimiter, Refusal, Step, is_message, next_step, prompt_refusal
from sms.replies import parse_reply
from sms.settings import QuietHours, SmsConfig

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTINGS = SmsConfig(zone=ZoneInfo("America/New_York"), quiet_hours=QuietHours(time(21), time(8)))


@pytest.mark.parametrize(
    ("now", "opted_out", "last", "refusal"),
    [
        (NOON, False, None, Refusal.QUIET_HOURS),  # 07:00 in New York
        (NOON + timedelta(hours=2), False, None, None),
        (NOON + timedelta(hours=2), True, None, Refusal.OPTED_OUT),
        (NOON + timedelta(hours=2), False, NOON - timedelta(hours=20), Refusal.COOLING_OFF),
        (NOON + timedelta(hours=2), False, NOON - timedelta(hours=22), None),
        (NOON + timedelta(hours=15), False, None, Refusal.QUIET_HOURS),  # 22:00 in New York
    ],
)
def test_prompt_refusal(now: datetime, opted_out: bool, last: datetime | None, refusal: Refusal | None) -> None:
    assert prompt_refusal(SETTINGS, now, opted_out=opted_out, last_prompted=last) == refusal


def test_conversation_expiry_and_comment_window() -> None:
    conversation = Conversation.open("+12025550143", "p-1", NOON, timedelta(hours=48))
    assert not conversation.is_expired(NOON + timedelta(hours=47)) and conversation.is_expired(
        NOON + timedelta(hours=48)
    )
    rated = conversation.rated("SM1", NOON).waiting_for_comment(NOON + timedelta(minutes=30))
    assert rated.awaits_comment(NOON + timedelta(minutes=29)) and not rated.awaits_comment(NOON + timedelta(minutes=30))
    assert Conversation.from_record(rated.to_record()) == rated


def test_rate_limiter_is_a_sliding_window_per_number() -> None:
    limiter = RateLimiter(3)
    assert [limiter.allow("a", NOON + timedelta(seconds=s)) for s in (0, 10, 20, 30)] == [True, True, True, False]
    assert limiter.allow("b", NOON + timedelta(seconds=30))
    assert limiter.allow("a", NOON + timedelta(seconds=60))


# -- what a text does: never undo a fell short, never lose a message ----------------------

RATED = Conversation.open("+12025550143", "p-1", NOON, timedelta(hours=48)).rated("SM1", NOON)
AWAITING = RATED.waiting_for_comment(NOON + timedelta(minutes=30))
COMMENTED = dataclasses.replace(RATED, commented=True)
REASKED = dataclasses.replace(Conversation.open("+12025550143", "p-1", NOON, timedelta(hours=48)), reasked=True)
FRESH = Conversation.open("+12025550143", "p-1", NOON, timedelta(hours=48))
SOON, LATER = NOON + timedelta(minutes=1), NOON + timedelta(minutes=5)
LONG = "The staff were lovely but I waited 40 minutes for a coffee, which is ridiculous."


@pytest.mark.parametrize(
    ("conversation", "answer", "text", "now", "step"),
    [
        # after a fell short
        (AWAITING, Outcome.BELOW, "waited ages", SOON, Step.COMMENT),
        (AWAITING, Outcome.BELOW, "ok thanks", SOON, Step.COMMENT),  # asked for a comment: it is one
        (AWAITING, Outcome.BELOW, "3", SOON, Step.RATE),  # a bare correction right after the answer
        (AWAITING, Outcome.BELOW, "👍", SOON, Step.RATE),
        (AWAITING, Outcome.BELOW, "3", LATER, Step.LATER),  # too late to be a correction
        (COMMENTED, Outcome.BELOW, "3", SOON, Step.LATER),  # after a comment, never a correction
        (COMMENTED, Outcome.BELOW, "👍", LATER, Step.LATER),
        (COMMENTED, Outcome.BELOW, "ok thanks", LATER, Step.LATER),
        (COMMENTED, Outcome.BELOW, "3 lovely", SOON, Step.LATER),
        (COMMENTED, Outcome.BELOW, "hello?", LATER, Step.LATER),
        (COMMENTED, Outcome.BELOW, "1", LATER, Step.RATE),  # fell short again: always taken
        # after met or exceeded: a new fell short is always taken, the rest may change freely
        (COMMENTED, Outcome.MET, "1", LATER, Step.RATE),
        (COMMENTED, Outcome.MET, "not good at all", LATER, Step.RATE),
        (COMMENTED, Outcome.MET, "3", LATER, Step.RATE),
        (COMMENTED, Outcome.MET, "cheers", LATER, Step.LATER),
        # no answer yet
        (None, None, "2", NOON, Step.RATE),
        (None, None, "hmm", NOON, Step.REASK),
        (None, None, "Feedback #front-desk", NOON, Step.ASK),
        (None, None, LONG, NOON, Step.TO_READ),  # a message: read at once, no re-ask
        (FRESH, None, "hmm", NOON, Step.REASK),
        (REASKED, None, "hmm", NOON, Step.TO_READ),  # after the one re-ask
        (REASKED, None, "1", NOON, Step.RATE),
    ],
)
def test_next_step(
    conversation: Conversation | None, answer: Outcome | None, text: str, now: datetime, step: Step
) -> None:
    reply = parse_reply(text)
    assert next_step(conversation, reply, text, now, answer=answer, correction_window=timedelta(minutes=2)) == step


def test_a_correction_needs_the_window_and_no_comment() -> None:
    window = timedelta(minutes=2)
    assert RATED.may_correct(NOON + timedelta(seconds=119), window)
    assert not RATED.may_correct(NOON + timedelta(minutes=2), window)
    assert not COMMENTED.may_correct(NOON, window)
    assert not FRESH.may_correct(NOON, window)


def test_a_message_is_eight_words_or_more() -> None:
    assert is_message("one two three four five six seven eight")
    assert not is_message("one two three four five six seven")


def test_conversation_keeps_what_the_customer_said_and_its_to_read_item() -> None:
    kept = dataclasses.replace(COMMENTED, to_read_id="tr-SM9")
    assert Conversation.from_record(kept.to_record()) == kept
    old = {key: value for key, value in RATED.to_record().items() if key not in ("commented", "to_read_id")}
    assert Conversation.from_record(old) == RATED
