"""FeedbackStore.followup_records: the follow-ups statistics read, without building every one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.followups import FollowUp, Resolution
from shared.ratings import Channel, Outcome, Rating
from shared.stats import LoopTimes
from shared.store import FeedbackStore


def below(store: FeedbackStore, rating_id: str, when: datetime) -> None:
    store.record_rating(Rating(id=rating_id, ts=when, channel=Channel.KIOSK, outcome=Outcome.BELOW), now=when)


def test_records_are_those_created_in_the_days_from_queue_and_archive(store: FeedbackStore) -> None:
    day = datetime(2026, 10, 31, 23, 50, tzinfo=UTC)
    below(store, "before", day - timedelta(days=1))
    below(store, "first-day-late", day)  # resolved in November: archived in the next month
    below(store, "second-day", day + timedelta(hours=1))
    below(store, "after", day + timedelta(days=2))
    store.resolve("fu-first-day-late", Resolution.RECOVERED, by="dee", now=day + timedelta(minutes=20))
    store.resolve("fu-before", Resolution.RECOVERED, by="dee", now=day - timedelta(days=1, minutes=-5))
    records = store.followup_records(day.date(), day.date() + timedelta(days=1))
    assert sorted(record["id"] for record in records) == ["fu-first-day-late", "fu-second-day"]
    assert {FollowUp.from_record(record).id for record in records} == {"fu-first-day-late", "fu-second-day"}


def test_a_reopened_follow_up_is_seen_once(store: FeedbackStore) -> None:
    when = datetime(2026, 11, 24, 9, tzinfo=UTC)
    below(store, "x", when)
    store.resolve("fu-x", Resolution.APOLOGISED, by="dee", now=when + timedelta(minutes=3))
    store.reopen("fu-x", now=when + timedelta(minutes=4))
    assert [record["id"] for record in store.followup_records(when.date(), when.date())] == ["fu-x"]


def test_loop_times_read_from_a_record_match_those_of_the_follow_up(store: FeedbackStore) -> None:
    when = datetime(2026, 11, 24, 9, tzinfo=UTC)
    below(store, "x", when)
    store.claim("fu-x", "dee", now=when + timedelta(minutes=2))
    store.resolve("fu-x", Resolution.RECOVERED, by="dee", now=when + timedelta(minutes=9))
    [record] = store.followup_records(when.date(), when.date())
    assert LoopTimes.from_record(record) == LoopTimes.of(store.get_followup("fu-x"))
    assert LoopTimes.from_record(record).resolved_at == when + timedelta(minutes=9)
