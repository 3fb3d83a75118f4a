"""A repeated id is found whatever its timestamp; a lost change feed never makes a process trust a stale cache;
the lock wakes a waiter soon after its release; caches are bounded in bytes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from shared import files
from shared.files import FileLock
from shared.ratings import Rating
from shared.store import FeedbackStore

MakeRating = Callable[..., Rating]
ROOT = Path(__file__).resolve().parents[2]


def test_the_same_id_days_apart_is_stored_once(store: FeedbackStore, make_rating: MakeRating) -> None:
    later = make_rating("met", id="sms-SM1")
    first = store.record_rating(make_rating("below", id="sms-SM1", ts=later.ts - timedelta(days=9)))
    again = store.record_rating(later)
    assert again.duplicate and again.rating == first.rating and again.followup == first.followup
    assert [rating.id for rating in store.ratings()] == ["sms-SM1"]
    assert FeedbackStore(store.root).record_rating(later).duplicate  # a fresh process finds it too


def test_a_fresh_process_checks_an_id_without_reading_the_day(store: FeedbackStore, make_rating: MakeRating) -> None:
    store.record_ratings([make_rating("met", id=f"day-{n}") for n in range(200)])
    fresh = FeedbackStore(store.root)
    with fresh.transaction() as tx:
        assert fresh._lookup_rating(tx, "new-id", make_rating().ts) == (None, False)
        read = set(fresh.files._storages)
    assert not any(name.startswith("ratings/") for name in read), read


def test_ratings_from_before_the_index_are_still_found_near_their_day(
    store: FeedbackStore, make_rating: MakeRating
) -> None:
    store.record_rating(make_rating("met", id="old"))
    for path in [*store.root.glob("ids/*.json"), *store.root.glob("ids/*.json.log")]:
        path.unlink()  # as a store written before the index was
    fresh = FeedbackStore(store.root)
    assert fresh.record_rating(make_rating("met", id="old")).duplicate
    assert fresh.record_rating(make_rating("met", id="new")).duplicate is False
    assert FeedbackStore(store.root).record_rating(make_rating("met", id="new")).duplicate


READER = """
import sys
from shared.store import FeedbackStore
store = FeedbackStore(sys.argv[1])
for line in sys.stdin:
    print(",".join(sorted(f.id for f in store.open_followups())), flush=True)
"""


def damage(feed: Path, how: str, backup: bytes) -> None:
    if how == "deleted":
        feed.unlink()
    elif how == "damaged":
        feed.write_bytes(b'{"revision": 3, "rec')
    else:
        feed.write_bytes(backup)  # restored from an earlier copy


@pytest.mark.parametrize("how", ["deleted", "damaged", "restored"])
def test_a_process_reads_new_data_after_the_change_feed_is_lost(
    store: FeedbackStore, make_rating: MakeRating, how: str
) -> None:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert reader.stdin is not None and reader.stdout is not None

    def ask() -> set[str]:
        reader.stdin.write("?\n")  # type: ignore[union-attr]
        reader.stdin.flush()  # type: ignore[union-attr]
        return set(filter(None, reader.stdout.readline().strip().split(",")))  # type: ignore[union-attr]

    try:
        store.record_rating(make_rating("below", id="a"))
        feed = store.root / "revision.json"
        backup = feed.read_bytes()
        assert ask() == {"fu-a"}  # the reader caches the queue
        for n, rating_id in enumerate(["b", "c", "d"]):
            damage(feed, how, backup)
            writer = FeedbackStore(store.root) if n % 2 else store  # a fresh process, or one that knew the feed
            writer.record_rating(make_rating("below", id=rating_id))
            if how == "restored":
                feed.write_bytes(backup)  # the backup put back after the write: the reader's revision again
            assert ask() == {"fu-a", *(f"fu-{r}" for r in ["b", "c", "d"][: n + 1])}
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)


def test_a_waiter_takes_the_lock_soon_after_it_is_released(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock,sys; l=filelock.FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); "
            "sys.stdin.readline(); l.release(); print('released', flush=True); sys.stdin.readline()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = FileLock(path, timeout=30)
        started = time.monotonic()

        def release_soon() -> None:
            time.sleep(0.3)
            holder.stdin.write("\n")  # type: ignore[union-attr]
            holder.stdin.flush()  # type: ignore[union-attr]

        threading.Thread(target=release_soon).start()
        lock.acquire()
        waited = time.monotonic() - started
        lock.release()
        # Waiting 0.3 s with retries backing off to 4 ms is under 100 polls; a 50 ms poll made 6.
        assert waited >= 0.3 and lock.polls >= 0.3 / files.LOCK_LONGEST_WAIT * 0.5
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)


def test_a_process_waiting_for_the_lock_is_seen_by_the_holder_and_only_while_it_waits(tmp_path: Path) -> None:
    """A long command lets the lock rest between slices only when someone waits (an export nobody waits for
    goes on at once); a waiter in another process says so while it retries."""
    path = tmp_path / ".lock"
    holder = FileLock(path, timeout=1)
    holder.acquire()
    assert not holder.others_waiting()
    waiter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from shared.files import FileLock; "
            "l = FileLock(Path(sys.argv[1]), timeout=30); l.acquire(); print('got it', flush=True); l.release()",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert waiter.stdout is not None
    try:
        deadline = time.monotonic() + 30
        while not holder.others_waiting():  # until the other process is retrying
            assert time.monotonic() < deadline and waiter.poll() is None
            time.sleep(0.01)
        holder.release()
        assert waiter.stdout.readline().strip() == "got it"
        assert waiter.wait(timeout=30) == 0
        assert not holder.others_waiting()  # it stopped saying so once it had the lock
        assert oct(holder.waiting_path.stat().st_mode & 0o777) == "0o600"
    finally:
        waiter.kill()
        waiter.wait(timeout=30)


def test_a_lock_held_too_long_times_out(tmp_path: Path) -> None:
    held = FileLock(tmp_path / ".lock", timeout=1)
    held.acquire()
    try:
        with pytest.raises(TimeoutError):
            FileLock(tmp_path / ".lock", timeout=0.05).acquire()
    finally:
        held.release()
    FileLock(tmp_path / ".lock", timeout=0.05).acquire()


def test_caches_are_bounded_in_bytes_least_recently_used_first(
    store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.transaction() as tx:
        for number in range(5):
            tx.append(f"file-{number}", "t", {"k": {"pad": "x" * 10_000}})
    monkeypatch.setattr(files, "CACHE_BUDGET", 3 * 50_000)
    with store.transaction() as tx:
        for number in range(5):
            assert tx.db(f"file-{number}").table("t").get(doc_id="k") is not None
    kept = list(store.files._storages)
    assert kept == ["file-2.json", "file-3.json", "file-4.json"]


def test_a_fresh_process_reads_only_the_feeds_head_and_its_first_change_keeps_the_recent_ones(
    store: FeedbackStore, make_rating: Callable[..., Rating], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record_rating(make_rating("below", id="a"))
    before = store.revision()
    store.record_rating(make_rating("met", id="b"))
    fresh = FeedbackStore(store.root)

    def parse_feed() -> object:
        raise AssertionError("the whole feed was parsed")

    with monkeypatch.context() as patch:
        patch.setattr(fresh.files, "_read_revision_file", parse_feed)
        assert fresh.get_rating("a", around=make_rating("met").ts) is not None  # a first, read-only transaction
    fresh.record_rating(make_rating("exceeded", id="c"))  # its first change: the whole feed, then one more
    assert {str(topic) for topic in store.changes_since(before) or ()} >= {"ratings"}
    assert store.files.changed_files(before) is not None  # the changes since are still known
    assert store.revision() > before + 1
