"""What a watcher's window gained since its last look: only the new lines, or everything when the store cannot tell.

The hot-spot and check-back workers look several times a second; each look must cost what changed
since the last one, never the day's ratings or the month's archive, and still see everything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import shared.storage as storage
from shared.backup import backup
from shared.followups import Resolution
from shared.ratings import Outcome, Rating
from shared.storage import DurableJSONStorage
from shared.store import Changed, FeedbackStore, WindowMark
from tests.clocks import FakeClock

WINDOW = timedelta(minutes=15)
ROOT = Path(__file__).resolve().parents[2]


def look(store: FeedbackStore, clock: FakeClock, mark: WindowMark | None = None) -> Changed[Rating]:
    return store.ratings_changed(mark, clock.now - WINDOW, now=clock.now)


def test_a_rating_recorded_after_the_window_was_read_is_all_the_next_look_reads(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating]
) -> None:
    for _ in range(3):
        store.record_rating(make_rating())
    first = store.ratings_changed(None, clock.now - WINDOW, now=clock.now)
    assert first.complete and len(first.items) == 3
    assert store.ratings_changed(first.mark, clock.now - WINDOW, now=clock.now).items == []
    clock.advance(minutes=1)
    late = store.record_rating(make_rating(Outcome.BELOW)).rating
    second = store.ratings_changed(first.mark, clock.now - WINDOW, now=clock.now)
    assert not second.complete and second.items == [late] and second.gone == frozenset()


def test_a_rating_changed_since_is_read_again_in_its_new_version(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating]
) -> None:
    rating = store.record_rating(make_rating(Outcome.BELOW)).rating
    first = store.ratings_changed(None, clock.now - WINDOW, now=clock.now)
    store.update_rating(rating.enriched(reasons=["wait_time"]))
    [changed] = store.ratings_changed(first.mark, clock.now - WINDOW, now=clock.now).items
    assert changed.id == rating.id and changed.reasons == ("wait_time",)


def test_ratings_another_process_recorded_are_read_from_its_journal_lines(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating]
) -> None:
    store.record_rating(make_rating())  # the day's file
    store.record_rating(make_rating())  # and a journal line after it
    first = store.ratings_changed(None, datetime.now(UTC) - WINDOW, now=datetime.now(UTC) + WINDOW)
    worker = [sys.executable, str(ROOT / "tests" / "shared" / "store_worker.py"), str(store.root)]
    subprocess.run([*worker, "--prefix", "other", "--count", "3"], check=True, capture_output=True, cwd=ROOT)
    second = store.ratings_changed(first.mark, datetime.now(UTC) - WINDOW, now=datetime.now(UTC) + WINDOW)
    assert not second.complete
    assert sorted(rating.id for rating in second.items) == ["other-0", "other-1", "other-2"]


def test_a_new_day_is_read_from_its_first_rating_and_yesterday_leaves_the_window(
    tmp_path: Path, make_rating: Callable[..., Rating]
) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 23, 55, tzinfo=UTC))
    store = FeedbackStore(tmp_path / "data", clock=clock)
    store.record_rating(make_rating(ts=clock.now))
    first = look(store, clock)
    clock.advance(minutes=10)  # 00:05: the window spans two days, and today's file does not exist yet
    midnight = look(store, clock, first.mark)
    assert not midnight.complete and midnight.items == []
    after = store.record_rating(make_rating(ts=clock.now)).rating
    today = look(store, clock, midnight.mark)
    assert not today.complete and today.items == [after]
    clock.advance(minutes=15)  # 00:20: yesterday is out of the window, and no longer read
    later = store.record_rating(make_rating(ts=clock.now)).rating
    last = look(store, clock, today.mark)
    assert not last.complete and last.items == [later]
    assert [name for name, _ in last.mark] == ["ratings/2026/2026-11-25"]


def test_a_restarted_process_reads_the_window_anew(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating]
) -> None:
    store.record_rating(make_rating())
    mark = look(store, clock).mark
    restarted = FeedbackStore(store.root, clock=clock)
    again = look(restarted, clock, mark)
    assert again.complete and len(again.items) == 1


def test_a_restored_data_folder_is_read_anew_by_a_running_watcher(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating], tmp_path: Path
) -> None:
    kept = store.record_rating(make_rating()).rating
    backup(store, tmp_path / "copy")
    mark = look(store, clock).mark
    store.record_rating(make_rating(Outcome.BELOW))  # after the backup: lost by the restore
    shutil.rmtree(store.root)
    shutil.copytree(tmp_path / "copy", store.root)
    again = look(store, clock, mark)
    assert again.complete and again.items == [kept]


def test_a_folded_journal_means_reading_the_window_anew(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "COMPACT_AFTER", 2)
    store.record_rating(make_rating())
    mark = look(store, clock).mark
    for _ in range(3):
        store.record_rating(make_rating())
    again = look(store, clock, mark)
    assert again.complete and len(again.items) == 4


def test_ratings_older_than_the_window_are_not_parsed_on_a_full_read(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating]
) -> None:
    store.record_rating(make_rating(ts=clock.now - timedelta(hours=1)))
    recent = store.record_rating(make_rating()).rating
    assert look(store, clock).items == [recent]


def test_storage_changes_after_a_mark_name_upserts_and_deletions_and_know_when_they_cannot(tmp_path: Path) -> None:
    disk = DurableJSONStorage(tmp_path / "x.json")
    disk.append("t", {"a": {"v": 1}})
    mark, changes = disk.changes_after(None)
    assert changes is None  # no mark: read it all
    disk.append("t", {"b": {"v": 2}})
    disk.delete("t", ["a"])
    mark, changes = disk.changes_after(mark)
    assert changes == [("t", ({"b": {"v": 2}}, [])), ("t", ({}, ["a"]))]
    assert disk.changes_after(mark) == (mark, [])
    other = DurableJSONStorage(tmp_path / "x.json")  # another process's view of the same file
    other.append("t", {"c": {"v": 3}})
    disk.stale()
    mark, changes = disk.changes_after(mark)
    assert changes == [("t", ({"c": {"v": 3}}, []))]
    other.compact()  # a new file: the journal's offsets mean nothing any more
    disk.stale()
    mark, changes = disk.changes_after(mark)
    assert changes is None and disk.table("t") == {"b": {"v": 2}, "c": {"v": 3}}


def test_resolutions_since_the_last_look_are_all_it_reads(
    store: FeedbackStore, clock: FakeClock, make_rating: Callable[..., Rating]
) -> None:
    first, second = (store.record_rating(make_rating(Outcome.BELOW)).followup for _ in range(2))
    assert first is not None and second is not None
    store.resolve(first.id, Resolution.RECOVERED, by="dee")
    since = clock.now - timedelta(hours=7)
    seen = store.resolved_changed(None, since, now=clock.now)
    assert seen.complete and [f.id for f in seen.items] == [first.id]
    assert store.resolved_changed(seen.mark, since, now=clock.now).items == []
    clock.advance(minutes=5)
    store.resolve(second.id, Resolution.APOLOGISED, by="dee")
    later = store.resolved_changed(seen.mark, since, now=clock.now)
    assert not later.complete and [f.id for f in later.items] == [second.id]


def test_the_first_resolution_of_a_month_is_read_from_its_new_archive(
    tmp_path: Path, make_rating: Callable[..., Rating]
) -> None:
    clock = FakeClock(datetime(2026, 11, 30, 23, 50, tzinfo=UTC))
    store = FeedbackStore(tmp_path / "data", clock=clock)
    followup = store.record_rating(make_rating(Outcome.BELOW, ts=clock.now)).followup
    assert followup is not None
    since = clock.now - timedelta(hours=7)
    clock.advance(minutes=20)  # December: its archive does not exist yet
    seen = store.resolved_changed(None, since, now=clock.now)
    assert seen.items == []
    store.resolve(followup.id, Resolution.RECOVERED, by="dee", now=clock.now)
    later = store.resolved_changed(seen.mark, since, now=clock.now)
    assert not later.complete and [f.id for f in later.items] == [followup.id]
