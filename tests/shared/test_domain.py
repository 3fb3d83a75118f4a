from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.followups import AlreadyClaimed, FollowUp, FollowUpError, FollowUpStatus, Resolution
from shared.ratings import Channel, Contact, InvalidRating, Outcome, Rating

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def rating(**fields: object) -> Rating:
    base: dict[str, object] = {"id": "r1", "ts": T0, "channel": "kiosk", "outcome": "below"}
    return Rating(**(base | fields))  # type: ignore[arg-type]


def test_rating_round_trips_through_its_record() -> None:
    original = rating(
        reasons=("wait time",), comment="slow", contact=Contact("+15551234567"), staff="ann", extra={"k": "v"}
    )
    assert Rating.from_record(original.to_record()) == original


def test_rating_times_are_kept_in_utc_and_naive_times_refused() -> None:
    record = rating().to_record() | {"ts": "2026-11-24T13:00:00+01:00"}
    assert Rating.from_record(record).ts == T0
    assert Rating.from_record(record).ts.tzinfo is UTC
    with pytest.raises(InvalidRating, match="time zone"):
        rating(ts=datetime(2026, 11, 24, 13, 0))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"ts": "2026-11-24T12:00:00Z", "channel": "kiosk", "outcome": "met"}, "missing the field 'id'"),
        ({"id": "x", "ts": "yesterday", "channel": "kiosk", "outcome": "met"}, "not ISO 8601"),
        ({"id": "x", "ts": "2026-11-24T12:00:00Z", "channel": "fax", "outcome": "met"}, "invalid field"),
        ({"id": "x", "ts": "2026-11-24T12:00:00Z", "channel": "sms", "outcome": "great"}, "invalid field"),
        ({"id": "x", "ts": "2026-11-24T12:00:00", "channel": "sms", "outcome": "met"}, "time zone"),
        (
            {"id": "x", "ts": "2026-11-24T12:00:00Z", "channel": "sms", "outcome": "met", "contact": {"phone": "555"}},
            "E.164",
        ),
    ],
)
def test_bad_records_are_refused_with_a_clear_message(record: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRating, match=message):
        Rating.from_record(record)


def test_enriching_keeps_the_answer_and_changes_only_what_is_given() -> None:
    first = rating(staff="ann")
    later = first.enriched(reasons=["wait time", "wait time", "price"], customer_waiting=True)
    assert later.reasons == ("wait time", "price")
    assert later.customer_waiting and later.staff == "ann" and later.outcome is Outcome.BELOW and later.ts == T0


def test_only_unmet_answers_that_are_not_suspect_need_a_follow_up() -> None:
    assert rating().needs_follow_up
    assert not rating(suspect=True).needs_follow_up
    assert not rating(outcome="met").needs_follow_up


def test_follow_up_is_due_after_the_target_and_copies_what_a_manager_needs() -> None:
    unmet = rating(station="front", reasons=("price",), contact=Contact("+15551234567"), customer_waiting=True)
    followup = FollowUp.for_rating(unmet, now=T0, target=timedelta(minutes=10))
    assert followup.due == T0 + timedelta(minutes=10)
    assert (followup.station, followup.reasons, followup.customer_waiting) == ("front", ("price",), True)
    assert followup.contact == Contact("+15551234567")
    assert followup.channel is Channel.KIOSK
    assert FollowUp.from_record(followup.to_record()) == followup


def test_follow_up_life_cycle() -> None:
    followup = FollowUp.for_rating(rating(), now=T0)
    claimed = followup.claim("ann", T0 + timedelta(minutes=2))
    assert claimed.status is FollowUpStatus.CLAIMED and claimed.claimed_by == "ann"
    with pytest.raises(AlreadyClaimed, match="already claimed by ann"):
        claimed.claim("bob", T0)
    assert claimed.claim("ann", T0).claimed_by == "ann"
    resolved = claimed.resolve(Resolution.RECOVERED, T0 + timedelta(minutes=5), note=" gave a voucher ")
    assert resolved.status is FollowUpStatus.RESOLVED and resolved.note == "gave a voucher"
    with pytest.raises(FollowUpError):
        resolved.claim("bob", T0)
    reopened = resolved.reopen(T0 + timedelta(hours=1))
    assert reopened.status is FollowUpStatus.OPEN and reopened.claimed_by == "" and reopened.resolution is None
    assert reopened.due == T0 + timedelta(hours=1, minutes=15)


def test_urgency_puts_waiting_customers_first_then_overdue_then_due_time() -> None:
    now = T0 + timedelta(minutes=20)
    waiting = FollowUp.for_rating(rating(id="w", customer_waiting=True), now=T0 + timedelta(minutes=19))
    overdue = FollowUp.for_rating(rating(id="o"), now=T0)
    soon = FollowUp.for_rating(rating(id="s"), now=T0 + timedelta(minutes=10))
    later = FollowUp.for_rating(rating(id="l"), now=T0 + timedelta(minutes=18))
    ordered = sorted([later, soon, overdue, waiting], key=lambda f: f.urgency_key(now))
    assert [f.rating_id for f in ordered] == ["w", "o", "s", "l"]
    assert overdue.is_overdue(now) and not soon.is_overdue(now)
    assert overdue.time_left(now) == timedelta(minutes=-5)
