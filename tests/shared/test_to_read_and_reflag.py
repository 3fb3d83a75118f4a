"""Follow-up kinds, re-flags and the customer's later words: the domain, the store, statistics, purge."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from datetime import date, timedelta

from manager.report import gather
from shared.export import write_csv
from shared.followups import LATER_WORDS_KEPT, FollowUp, FollowUpKind, FollowUpStatus, Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.retention import purge
from shared.stats import LoopTimes, compute
from shared.store import FeedbackStore
from tests.clocks import NOON, FakeClock

MakeRating = Callable[..., Rating]
PHONE = "+12025550143"


def below(**fields: object) -> FollowUp:
    rating = Rating(id="r1", ts=NOON, channel=Channel.KIOSK, outcome=Outcome.BELOW, **fields)  # type: ignore[arg-type]
    return FollowUp.for_rating(rating, now=NOON)


def to_read(minutes: int = 0) -> FollowUp:
    return FollowUp.to_read("tr-SM1", " hello? ", now=NOON + timedelta(minutes=minutes), channel=Channel.SMS)


# -- the domain --------------------------------------------------------------------------


def test_a_text_to_read_sorts_after_every_fell_short_however_late() -> None:
    now = NOON + timedelta(hours=1)
    waiting, calm, text = (
        below(customer_waiting=True),
        dataclasses.replace(below(), due=now + timedelta(hours=1)),
        to_read(),
    )
    assert text.is_overdue(now)
    assert sorted([text, calm, waiting], key=lambda f: f.urgency_key(now)) == [waiting, calm, text]


def test_a_text_to_read_carries_the_text_and_no_rating() -> None:
    item = to_read()
    assert (item.kind, item.comment, item.rating_id, item.reasons) == (FollowUpKind.TO_READ, "hello?", "", ())
    assert item.flagged_at == item.created == NOON and item.due == NOON + timedelta(minutes=15)
    assert FollowUp.from_record(item.to_record()) == item


def test_a_follow_up_is_flagged_when_opened_and_again_when_re_flagged() -> None:
    followup = below()
    assert followup.flagged_at == NOON
    closed = followup.resolve(Resolution.NO_ACTION_NEEDED, NOON + timedelta(minutes=1), by="system")
    again = closed.reflag(NOON + timedelta(minutes=3))
    assert (again.status, again.flagged_at, again.created) == (FollowUpStatus.OPEN, NOON + timedelta(minutes=3), NOON)
    assert again.due == NOON + timedelta(minutes=18) and again.resolution is None


def test_records_from_before_kinds_and_flags_read_as_fell_short_flagged_when_created() -> None:
    record = below().to_record()
    for key in ("kind", "flagged_at", "later"):
        del record[key]
    old = FollowUp.from_record(record)
    assert (old.kind, old.flagged_at, old.later) == (FollowUpKind.FELL_SHORT, old.created, ())
    assert FollowUp.kind_of(record) is FollowUpKind.FELL_SHORT


def test_later_words_are_kept_in_order_and_bounded() -> None:
    followup = below()
    for minute in range(LATER_WORDS_KEPT + 2):
        followup = followup.with_words(f"text {minute}", NOON + timedelta(minutes=minute))
    assert len(followup.later) == LATER_WORDS_KEPT
    assert followup.later[-1].text == f"text {LATER_WORDS_KEPT + 1}" and followup.later[0].text == "text 2"
    assert FollowUp.from_record(followup.to_record()) == followup


# -- the store ---------------------------------------------------------------------------


def test_below_met_below_reopens_the_follow_up_flagged_anew(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    rating = make_rating("below")
    store.record_rating(rating)
    clock.advance(minutes=1)
    met = store.update_rating(dataclasses.replace(rating, outcome=Outcome.MET))
    assert met.followup is not None and met.followup.status is FollowUpStatus.RESOLVED
    assert store.open_followups() == []
    clock.advance(minutes=1)
    again = store.update_rating(rating)
    assert again.followup is not None and again.followup.status is FollowUpStatus.OPEN
    [open_one] = store.open_followups()
    assert open_one.id == f"fu-{rating.id}" and open_one.flagged_at == clock.now
    assert [f.id for f in store.followups()] == [open_one.id]  # moved back, not copied


def test_an_update_that_keeps_the_answer_unmet_leaves_a_closed_follow_up_closed(
    store: FeedbackStore, make_rating: MakeRating
) -> None:
    rating = make_rating("below")
    store.record_rating(rating)
    store.resolve(f"fu-{rating.id}", Resolution.RECOVERED, by="Dee")
    store.update_rating(rating.enriched(reasons=["price"]))  # a kiosk adding reasons is no new flag
    assert store.open_followups() == []
    store.update_rating(rating.enriched(reasons=["price"]), reflag=True)  # the customer said it again
    assert [f.id for f in store.open_followups()] == [f"fu-{rating.id}"]


def test_a_text_to_read_is_queued_once_and_takes_later_words(store: FeedbackStore, clock: FakeClock) -> None:
    first = store.open_to_read("tr-SM1", "hello?", channel=Channel.SMS, contact=Contact(PHONE), station="Front")
    assert store.open_to_read("tr-SM1", "hello?", channel=Channel.SMS) == first  # a repeated delivery
    clock.advance(minutes=1)
    store.add_customer_words("tr-SM1", "anyone there?")
    [item] = store.open_followups()
    assert item.is_to_read and [(w.at, w.text) for w in item.later] == [(clock.now, "anyone there?")]
    store.resolve("tr-SM1", Resolution.NO_ACTION_NEEDED, by="Dee", note="read")
    closed = store.add_customer_words("tr-SM1", "thanks")
    assert closed.status is FollowUpStatus.RESOLVED and store.open_followups() == []
    assert [w.text for w in store.get_followup("tr-SM1").later] == ["anyone there?", "thanks"]


# -- statistics and purge ------------------------------------------------------------------


def test_texts_to_read_are_not_counted_as_fell_short_answers(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    store.record_rating(make_rating("below"))
    store.open_to_read("tr-SM1", "hello?", channel=Channel.SMS)
    clock.advance(minutes=5)
    store.claim("tr-SM1", "Dee")
    stats = gather(
        store, since=NOON.date(), until=NOON.date(), zone=NOON.tzinfo, now=clock.now, target=timedelta(minutes=15)
    )
    assert (stats.followups, stats.claimed, stats.still_open) == (1, 0, 1)
    records = store.followup_records(date(2026, 11, 1), date(2026, 11, 30))
    assert len(records) == 2 and len(LoopTimes.of_fell_short(records)) == 1


def test_purge_erases_the_customers_later_words(store: FeedbackStore, clock: FakeClock) -> None:
    store.open_to_read("tr-SM1", "hello?", channel=Channel.SMS, contact=Contact(PHONE))
    store.add_customer_words("tr-SM1", "my name is Jo Bloggs")
    report = purge(store, older_than=timedelta(days=1), now=clock.now + timedelta(days=2))
    assert report.followups == 1
    item = store.get_followup("tr-SM1")
    assert (item.comment, item.later, item.contact) == ("", (), None)


def test_computed_loop_figures_leave_texts_to_read_out() -> None:
    day = NOON.date()
    stats = compute(
        {}, [below(), to_read()], since=day, until=day, zone=NOON.tzinfo, now=NOON, target=timedelta(minutes=15)
    )
    assert stats.followups == 1


def test_a_text_to_read_never_takes_the_place_of_its_ratings_follow_up_in_a_csv_export(
    store: FeedbackStore, make_rating: MakeRating
) -> None:
    rating = store.record_rating(make_rating("below")).rating
    store.open_to_read("tr-SM1", "still no refund", channel=Channel.SMS, rating_id=rating.id)
    out = io.StringIO()
    write_csv(out, store.ratings(), store.followups())
    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["followup_id"] == f"fu-{rating.id}"
