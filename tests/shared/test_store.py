"""The store's promises, each on a real data directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from shared import files, storage
from shared.followups import AlreadyClaimed, FollowUpError, FollowUpStatus, Resolution
from shared.ratings import Contact, Outcome, Rating
from shared.storage import StoreCorrupt
from shared.store import FeedbackStore, UnknownFollowUp, UnknownRating, _id_shard
from shared.summary import counter_key
from tests.clocks import FakeClock

MakeRating = Callable[..., Rating]


def test_a_recorded_rating_is_read_back_by_a_fresh_store(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    rating = make_rating("exceeded", staff="ann", reasons=())
    recorded = store.record_rating(rating)
    assert not recorded.duplicate and recorded.followup is None
    fresh = FeedbackStore(tmp_path / "data")
    assert fresh.get_rating(rating.id, around=rating.ts) == recorded.rating
    assert list(fresh.ratings()) == [recorded.rating]
    assert recorded.rating.received == store.clock()


def test_recording_the_same_id_twice_stores_one_rating_and_says_it_was_a_duplicate(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    first = store.record_rating(make_rating("below", id="SM123"))
    clock.advance(hours=23)  # a retry that crosses midnight still finds the first
    again = store.record_rating(make_rating("met", id="SM123"))
    assert again.duplicate
    assert again.rating == first.rating and again.followup == first.followup
    assert [r.id for r in store.ratings()] == ["SM123"]
    assert len(store.open_followups()) == 1


def test_an_unmet_answer_opens_a_follow_up_due_after_the_target(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    recorded = store.record_rating(make_rating("below", reasons=("wait time",)))
    assert recorded.followup is not None
    assert recorded.followup.due == clock.now + timedelta(minutes=15)
    assert store.open_followups() == [recorded.followup]


def test_suspect_and_satisfied_answers_open_no_follow_up(store: FeedbackStore, make_rating: MakeRating) -> None:
    store.record_rating(make_rating("below", suspect=True))
    store.record_rating(make_rating("met"))
    store.record_rating(make_rating("exceeded"))
    assert store.open_followups() == []


def test_enrichment_updates_the_rating_and_the_follow_up_copy(store: FeedbackStore, make_rating: MakeRating) -> None:
    recorded = store.record_rating(make_rating("below"))
    richer = recorded.rating.enriched(reasons=["price"], contact=Contact("+12025550143"), customer_waiting=True)
    updated = store.update_rating(richer)
    assert updated.followup is not None and updated.followup.customer_waiting
    assert store.get_rating(richer.id, around=richer.ts) == updated.rating
    (queued,) = store.open_followups()
    assert queued.reasons == ("price",) and queued.contact == Contact("+12025550143")


def test_changing_an_answer_opens_or_closes_its_follow_up(store: FeedbackStore, make_rating: MakeRating) -> None:
    rating = store.record_rating(make_rating("met")).rating
    now_unmet = store.update_rating(Rating.from_record(rating.to_record() | {"outcome": "below"}))
    assert now_unmet.followup is not None and now_unmet.followup.status is FollowUpStatus.OPEN
    back_to_met = store.update_rating(rating)
    assert back_to_met.followup is not None and back_to_met.followup.status is FollowUpStatus.RESOLVED
    assert back_to_met.followup.resolution is Resolution.NO_ACTION_NEEDED
    assert store.open_followups() == []


def test_updating_an_unknown_rating_is_refused(store: FeedbackStore, make_rating: MakeRating) -> None:
    with pytest.raises(UnknownRating):
        store.update_rating(make_rating("met"))


def test_claim_resolve_and_reopen(store: FeedbackStore, make_rating: MakeRating, clock: FakeClock) -> None:
    followup = store.record_rating(make_rating("below")).followup
    assert followup is not None
    clock.advance(minutes=3)
    assert store.claim(followup.id, "ann").claimed_at == clock.now
    with pytest.raises(AlreadyClaimed):
        store.claim(followup.id, "bob")
    clock.advance(minutes=4)
    resolved = store.resolve(followup.id, Resolution.APOLOGISED, by="ann", note="called back")
    assert resolved.resolved_at == clock.now
    assert store.open_followups() == []
    with pytest.raises(FollowUpError, match="already resolved"):
        store.claim(followup.id, "bob")
    assert store.get_followup(followup.id) == resolved
    assert list(store.followups()) == [resolved]
    reopened = store.reopen(followup.id)
    assert store.open_followups() == [reopened]
    assert list(store.followups()) == [reopened]
    with pytest.raises(UnknownFollowUp):
        store.claim("fu-nothing", "ann")


def test_open_follow_ups_come_most_urgent_first(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    store.record_rating(make_rating("below", id="old"))
    clock.advance(minutes=10)
    store.record_rating(make_rating("below", id="newer"))
    clock.advance(minutes=1)
    store.record_rating(make_rating("below", id="waiting", customer_waiting=True))
    clock.advance(minutes=5)  # "old" is now overdue
    assert [f.rating_id for f in store.open_followups()] == ["waiting", "old", "newer"]


def test_ratings_are_partitioned_by_utc_day_and_filtered_by_day(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock, tmp_path: Path
) -> None:
    store.record_rating(make_rating("met", id="monday"))
    clock.advance(days=1)
    store.record_rating(make_rating("met", id="tuesday"))
    assert sorted(p.name for p in (tmp_path / "data" / "ratings" / "2026").iterdir()) == [
        "2026-11-24.json",
        "2026-11-25.json",
    ]
    assert [r.id for r in store.ratings(since=date(2026, 11, 25))] == ["tuesday"]
    assert [r.id for r in store.ratings(until=date(2026, 11, 24))] == ["monday"]


def test_daily_summaries_count_every_answer_and_follow_changes(store: FeedbackStore, make_rating: MakeRating) -> None:
    store.record_rating(make_rating("met", staff="ann"))
    unmet = store.record_rating(make_rating("below", staff="bob")).rating
    store.record_rating(make_rating("below", suspect=True))
    store.update_rating(unmet.enriched(reasons=["price"]))
    hours = store.daily_summaries(date(2026, 11, 24), date(2026, 11, 24))["2026-11-24"]
    counts = hours["2026-11-24T12"]
    assert counts["answers"] == 2 and counts["suspect"] == 1
    assert counts[counter_key("outcome", "below")] == 1
    assert counts[counter_key("staff", "ann", "met")] == 1
    assert counts[counter_key("reason", "price")] == 1


def test_a_stale_summary_is_recounted_from_the_ratings(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    summaries = tmp_path / "data" / "summaries"
    store.record_rating(make_rating("met"))

    def snapshot() -> dict[Path, bytes]:
        return {path: path.read_bytes() for path in summaries.iterdir()}

    def restore(files: dict[Path, bytes]) -> None:
        for path in summaries.iterdir():
            path.unlink()
        for path, content in files.items():
            path.write_bytes(content)

    before = snapshot()
    store.record_rating(make_rating("exceeded"))
    restore(before)  # as if the process died between the rating and its summary
    fresh = FeedbackStore(tmp_path / "data")
    hours = fresh.daily_summaries(date(2026, 11, 24), date(2026, 11, 24))["2026-11-24"]
    assert hours["2026-11-24T12"]["answers"] == 2
    # and a write after such a crash repairs it too
    restore(before)
    fresh = FeedbackStore(tmp_path / "data")
    fresh.record_rating(make_rating("met"))
    hours = fresh.daily_summaries(date(2026, 11, 24), date(2026, 11, 24))["2026-11-24"]
    assert hours["2026-11-24T12"]["answers"] == 3


def test_the_revision_changes_with_every_write_and_names_the_files(
    store: FeedbackStore, make_rating: MakeRating
) -> None:
    before = store.revision()
    followup = store.record_rating(make_rating("below")).followup
    assert followup is not None
    after = store.revision()
    assert after > before
    assert "queue.json" in (store.changed_files(before) or set())
    store.claim(followup.id, "ann")
    assert store.changed_files(after) == {"queue.json"}
    assert store.wait_for_change(store.revision(), timeout=0.01) == store.revision()


def test_a_second_store_object_sees_writes_made_through_the_first(tmp_path: Path, make_rating: MakeRating) -> None:
    one, two = FeedbackStore(tmp_path / "data"), FeedbackStore(tmp_path / "data")
    followup = one.record_rating(make_rating("below")).followup
    assert followup is not None
    assert [f.id for f in two.open_followups()] == [followup.id]  # fills two's cache
    two.claim(followup.id, "bob")
    with pytest.raises(AlreadyClaimed):
        one.claim(followup.id, "ann")  # one's cache must not hide bob's claim
    one.record_rating(make_rating("met"))
    assert len(list(two.ratings())) == 2


def test_data_files_are_plain_tinydb_json_readable_by_their_owner_only(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    rating = store.record_rating(make_rating("met", id="tap-1")).rating
    partition = tmp_path / "data" / "ratings" / "2026" / "2026-11-24.json"
    assert json.loads(partition.read_text())["ratings"]["tap-1"]["outcome"] == "met"
    assert partition.stat().st_mode & 0o077 == 0
    assert rating.outcome is Outcome.MET


def test_a_retry_after_a_crash_between_follow_up_and_rating_keeps_the_first_follow_up(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock, tmp_path: Path
) -> None:
    rating = make_rating("below", id="tap-9")
    store.record_rating(rating)
    first = store.open_followups()
    # As if the process died after writing the follow-up but before the rating:
    (tmp_path / "data" / "ratings" / "2026" / "2026-11-24.json").unlink()
    clock.advance(minutes=5)
    retried = store.record_rating(rating)
    assert not retried.duplicate
    assert store.open_followups() == first


def test_a_transaction_inside_another_joins_it(store: FeedbackStore, make_rating: MakeRating) -> None:
    before = store.revision()
    with store.transaction() as outer:
        store.record_rating(make_rating("met", id="inner"))
        with store.transaction() as inner:
            assert inner is outer
        outer.db("channel").table("notes").insert({"note": "after the inner one"})
    assert store.changed_files(before) == {
        "ids/start.json",
        f"{_id_shard('inner')}.json",
        "ratings/2026/2026-11-24.json",
        "summaries/2026-11.json",
        "channel.json",
    }
    assert store.revision() == before + 2  # the rating's files in one announcement, the channel file in another


def test_a_batch_is_recorded_with_one_write_per_file(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    already = store.record_rating(make_rating("met", id="known")).rating
    batch = [make_rating("below" if n % 5 == 0 else "met", id=f"b{n}") for n in range(40)]
    batch += [make_rating("met", id="b1"), make_rating("met", id="known")]
    batch.append(make_rating("exceeded", id="yesterday", ts=clock.now - timedelta(days=1)))
    before = store.revision()
    results = store.record_ratings(batch)
    assert store.revision() == before + 1  # every file announced once, each written once
    assert [r.duplicate for r in results] == [False] * 40 + [True, True, False]
    assert results[41].rating == already
    assert len(list(store.ratings())) == 42
    assert len(store.open_followups()) == 8
    counts = store.daily_summaries(date(2026, 11, 23), date(2026, 11, 24))
    assert counts["2026-11-24"]["2026-11-24T12"]["answers"] == 41
    assert counts["2026-11-23"]["2026-11-23T12"]["answers"] == 1


def test_threads_recording_at_the_same_moment_share_one_commit(store: FeedbackStore, make_rating: MakeRating) -> None:
    import threading
    import time

    ratings = [make_rating("below" if n % 2 else "met", id=f"t{n}") for n in range(8)]
    results: dict[str, object] = {}
    before = store.revision()
    with store.files.thread_lock:  # hold the store while all eight threads queue up
        threads = [
            threading.Thread(target=lambda r=r: results.__setitem__(r.id, store.record_rating(r))) for r in ratings
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(store._pending) < len(ratings) and time.monotonic() < deadline:
            time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=10)
    assert store.revision() == before + 1
    assert sorted(results) == sorted(r.id for r in ratings)
    assert {r.id for r in store.ratings()} == set(results)
    assert len(store.open_followups()) == 4


def test_a_failed_group_commit_reports_the_error_to_every_caller(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    store.record_rating(make_rating("met"))
    (tmp_path / "data" / "ratings" / "2026" / "2026-11-24.json").write_text("{torn")
    with pytest.raises(StoreCorrupt):
        FeedbackStore(tmp_path / "data").record_ratings([make_rating("met"), make_rating("below")])


def test_a_retry_after_a_crash_does_not_bring_back_a_follow_up_already_resolved(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock, tmp_path: Path
) -> None:
    rating = make_rating("below", id="tap-10")
    followup = store.record_rating(rating).followup
    assert followup is not None
    (tmp_path / "data" / "ratings" / "2026" / "2026-11-24.json").unlink()  # the rating never landed
    store.resolve(followup.id, Resolution.RECOVERED, by="ann")  # but a manager acted on the flag
    retried = store.record_rating(rating)
    assert retried.followup is not None and retried.followup.status is FollowUpStatus.RESOLVED
    assert store.open_followups() == []


def test_a_transaction_that_opens_many_files_keeps_one_storage_per_file(store: FeedbackStore) -> None:
    with store.transaction() as tx:
        notes = tx.db("first").table("notes")
        notes.insert({"n": 1})
        for number in range(20):  # more files than the cache keeps between transactions
            tx.db(f"other-{number}").table("t").insert({"n": number})
        assert len(tx.db("first").table("notes").all()) == 1
        notes.insert({"n": 2})  # through the tables opened first
        assert len(tx.db("first").table("notes").all()) == 2
    with store.transaction() as tx:
        assert len(tx.db("first").table("notes").all()) == 2
    assert sum(storage.cost for storage in store.files._storages.values()) <= files.CACHE_BUDGET


def test_a_day_that_alone_takes_half_the_cache_is_not_kept_and_the_rest_stays(
    store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy day kept parsed pushed every other file out of the cache after each answer; dropped, its
    next answers are appended to it without reading it, and the queue and the summaries stay parsed."""
    store.record_ratings([make_rating("met", id=f"busy-{n}") for n in range(300)])
    store.record_rating(make_rating("below", id="opens-the-queue"))
    day = "ratings/2026/2026-11-24.json"
    with store.transaction() as tx:
        tx.records("ratings/2026/2026-11-24", "ratings")  # parsed and kept, as a recount leaves it
    assert store.files._storages[day]._cached is not None
    monkeypatch.setattr(files, "CACHE_BUDGET", store.files._storages[day].cost * 3 // 2)  # the day: 2/3 of it
    store.record_rating(make_rating("met", id="tap-0"))
    assert day not in store.files._storages
    queue_parses = []
    real_parse = storage.DurableJSONStorage._parse_file

    def parse(self: storage.DurableJSONStorage, content: bytes) -> object:
        queue_parses.append(self.path.name)
        return real_parse(self, content)

    monkeypatch.setattr(storage.DurableJSONStorage, "_parse_file", parse)
    for n in range(1, 4):
        store.record_rating(make_rating("below", id=f"tap-{n}"))
    assert queue_parses == []  # neither the day (appended blind) nor the queue (still cached) read again
    assert {f"tap-{n}" for n in range(4)} <= {rating.id for rating in store.ratings()}
