"""Finding a rating's follow-up reads the queue and at most the archive months since the rating's day,
and nothing of the archive for an answer that never had one: the id index says which."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from shared.followups import FollowUpStatus, Resolution
from shared.ratings import Rating
from shared.store import FeedbackStore, StoreCorrupt, UnknownFollowUp, _id_shard, month_name
from tests.clocks import FakeClock

MakeRating = Callable[..., Rating]


def damage(path: Path) -> None:
    """A month's archive that cannot be read: any lookup that opens it fails loudly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    path.with_name(path.name + ".log").unlink(missing_ok=True)


def test_a_change_to_a_met_answer_does_not_read_the_archive(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    met = store.record_rating(make_rating("met")).rating
    damage(store.root / "followups" / f"{month_name(clock.now)}.json")
    fresh = FeedbackStore(store.root, clock=clock)
    changed = fresh.update_rating(met.enriched(comment="lovely"))
    assert changed.followup is None
    assert fresh.followup_of(met) is None
    with pytest.raises(UnknownFollowUp):
        fresh.get_followup(f"fu-{met.id}")


def test_an_answer_changed_to_unmet_keeps_its_followup_findable_once_resolved(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    met = store.record_rating(make_rating("met")).rating
    opened = store.update_rating(make_rating("below", id=met.id)).followup
    assert opened is not None
    store.resolve(opened.id, Resolution.APOLOGISED, by="dee")
    fresh = FeedbackStore(store.root, clock=clock)
    again = fresh.update_rating(make_rating("below", id=met.id, comment="still cross"))
    assert again.followup is not None and again.followup.id == opened.id
    assert again.followup.status is FollowUpStatus.RESOLVED  # refreshed in the archive, not a second one
    assert [f.id for f in fresh.open_followups()] == []


def test_a_followup_is_read_from_the_month_of_its_rating_on(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    older = clock.now - timedelta(days=62)
    store.record_rating(make_rating("below", id="old", ts=older), now=older)
    store.resolve("fu-old", Resolution.APOLOGISED, by="dee", now=older)
    followup = store.record_rating(make_rating("below")).followup
    assert followup is not None
    store.resolve(followup.id, Resolution.APOLOGISED, by="dee")
    damage(store.root / "followups" / f"{month_name(older)}.json")
    fresh = FeedbackStore(store.root, clock=clock)
    assert fresh.get_followup(followup.id).status is FollowUpStatus.RESOLVED
    with pytest.raises(StoreCorrupt):
        fresh.get_followup("fu-old")  # its own month is read, and found damaged


def test_index_entries_from_before_the_flag_still_find_an_archived_followup(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    rating = store.record_rating(make_rating("below")).rating
    store.resolve(f"fu-{rating.id}", Resolution.APOLOGISED, by="dee")
    with store.transaction() as tx:  # as written before the index said whether a follow-up exists
        tx.append(_id_shard(rating.id), "ids", {rating.id: {"day": rating.ts.date().isoformat()}})
    fresh = FeedbackStore(store.root, clock=clock)
    found = fresh.followup_of(rating)
    assert found is not None and found.status is FollowUpStatus.RESOLVED
    assert fresh.get_followup(f"fu-{rating.id}") == found


def test_a_queue_read_again_shows_what_another_process_changed(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    """The queue's parsed follow-ups are reused only while their records are unchanged."""
    first = store.record_rating(make_rating("below")).followup
    second = store.record_rating(make_rating("below")).followup
    assert first is not None and second is not None
    console = FeedbackStore(store.root, clock=clock)
    assert {f.id: f.claimed_by for f in console.open_followups()} == {first.id: "", second.id: ""}
    store.claim(first.id, "ann")
    store.resolve(second.id, Resolution.APOLOGISED, by="bo")
    again = console.open_followups()
    assert [(f.id, f.claimed_by, f.status) for f in again] == [(first.id, "ann", FollowUpStatus.CLAIMED)]
