"""Staff views pair with the customer's answer: by prompt for SMS, by station within the window at the kiosk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from shared.interactions import INTERACTION_KEY, VIEW_KEY
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
from tests.clocks import FakeClock

MakeRating = Callable[..., Rating]


def test_kiosk_answer_at_the_station_pairs_with_the_tills_view(
    store: FeedbackStore, clock: FakeClock, make_rating: MakeRating
) -> None:
    store.record_interaction("i-1", Outcome.EXCEEDED, staff="ann", station="front")
    clock.advance(seconds=40)
    rating = store.record_rating(make_rating(Outcome.BELOW, station="front")).rating
    [pair] = store.pairs(clock.now.date(), clock.now.date())
    assert (pair.interaction, pair.rating_id, pair.view, pair.answer) == ("i-1", rating.id, "exceeded", "below")
    assert (pair.staff, pair.station) == ("ann", "front")
    assert rating.extra[INTERACTION_KEY] == "i-1"


def test_answer_at_another_station_does_not_pair(
    store: FeedbackStore, clock: FakeClock, make_rating: MakeRating
) -> None:
    store.record_interaction("i-1", Outcome.MET, station="front")
    store.record_rating(make_rating(station="back"))
    assert store.pairs(clock.now.date(), clock.now.date()) == []


def test_unpaired_view_expires_after_the_window(
    store: FeedbackStore, clock: FakeClock, make_rating: MakeRating
) -> None:
    store.record_interaction("i-1", Outcome.MET, station="front")
    clock.advance(seconds=121)
    store.record_rating(make_rating(station="front"))
    assert store.pairs(clock.now.date(), clock.now.date()) == []


def test_window_is_the_stores_setting(tmp_path, clock: FakeClock, make_rating: MakeRating) -> None:  # type: ignore[no-untyped-def]
    store = FeedbackStore(tmp_path / "data", clock=clock, view_window=timedelta(seconds=600))
    store.record_interaction("i-1", Outcome.MET, station="front")
    clock.advance(seconds=500)
    store.record_rating(make_rating(station="front"))
    assert len(store.pairs(clock.now.date(), clock.now.date())) == 1


def test_one_view_per_interaction(store: FeedbackStore, clock: FakeClock, make_rating: MakeRating) -> None:
    """Two views, three answers: the oldest view takes the first answer, the next the second, the third none."""
    store.record_interaction("i-1", Outcome.MET, station="front")
    clock.advance(seconds=1)
    store.record_interaction("i-2", Outcome.EXCEEDED, station="front")
    first = store.record_rating(make_rating(Outcome.MET, station="front")).rating
    second = store.record_rating(make_rating(Outcome.BELOW, station="front")).rating
    third = store.record_rating(make_rating(Outcome.MET, station="front")).rating
    again = store.record_rating(second).rating  # a repeated delivery pairs nothing anew
    pairs = {pair.interaction: pair.rating_id for pair in store.pairs(clock.now.date(), clock.now.date())}
    assert pairs == {"i-1": first.id, "i-2": second.id}
    assert INTERACTION_KEY not in third.extra and again.extra[INTERACTION_KEY] == "i-2"


def test_sms_answer_pairs_by_its_prompt_not_by_station(
    store: FeedbackStore, clock: FakeClock, make_rating: MakeRating
) -> None:
    store.record_interaction("i-1", Outcome.MET, station="front", prompt="SM1", expires_after=timedelta(hours=48))
    store.record_rating(make_rating(station="front"))  # a kiosk tap at that station: not this customer
    store.record_rating(make_rating(channel=Channel.SMS, station="front", extra={"prompt": "SM2"}))
    clock.advance(hours=20)
    answer = store.record_rating(make_rating(Outcome.BELOW, channel=Channel.SMS, extra={"prompt": "SM1"})).rating
    [pair] = store.pairs(clock.now.date() - timedelta(days=1), clock.now.date())
    assert (pair.rating_id, pair.view, pair.answer, pair.channel) == (answer.id, "met", "below", "sms")


def test_kiosks_own_view_pairs_with_its_rating_only(
    store: FeedbackStore, clock: FakeClock, make_rating: MakeRating
) -> None:
    store.record_interaction("i-1", Outcome.MET, station="front")
    own = store.record_rating(make_rating(Outcome.MET, extra={VIEW_KEY: "exceeded"}, staff="bo")).rating
    pairs = store.pairs(clock.now.date(), clock.now.date())
    assert [(pair.interaction, pair.view, pair.staff) for pair in pairs] == [(f"k-{own.id}", "exceeded", "bo")]
    later = store.record_rating(make_rating(Outcome.MET)).rating  # the till's view still waits for its customer
    assert later.extra[INTERACTION_KEY] == "i-1"


def test_suspect_taps_never_pair(store: FeedbackStore, clock: FakeClock, make_rating: MakeRating) -> None:
    store.record_interaction("i-1", Outcome.MET, station="front")
    store.record_rating(make_rating(Outcome.BELOW, suspect=True))
    assert store.pairs(clock.now.date(), clock.now.date()) == []


def test_a_changed_answer_moves_its_pair(store: FeedbackStore, clock: FakeClock, make_rating: MakeRating) -> None:
    store.record_interaction("i-1", Outcome.MET, station="front")
    rating = store.record_rating(make_rating(Outcome.MET)).rating
    kiosk_copy = make_rating(Outcome.BELOW, id=rating.id, ts=rating.ts)  # the kiosk's copy lacks the store's mark
    updated = store.update_rating(kiosk_copy).rating
    [pair] = store.pairs(clock.now.date(), clock.now.date())
    assert pair.answer is Outcome.BELOW and updated.extra[INTERACTION_KEY] == "i-1"


def test_reasons_added_later_reach_the_pair_but_never_the_comment(
    store: FeedbackStore, clock: FakeClock, make_rating: MakeRating
) -> None:
    store.record_interaction("i-1", Outcome.EXCEEDED, station="front")
    rating = store.record_rating(make_rating(Outcome.BELOW)).rating
    store.update_rating(rating.enriched(reasons=["wait time"], comment="20 minutes"))
    [pair] = store.pairs(clock.now.date(), clock.now.date())
    assert pair.reasons == ("wait time",) and "20 minutes" not in str(pair.to_record())
