"""A purge of a big file (a month's archive of 20,000 follow-ups) holds the lock for a read and a rename.

The file is read under the lock, parsed and its new file written with the lock free, and renamed
into place under the lock only if nobody changed it meanwhile: a tap waits milliseconds, and a
follow-up another process resolved into that archive in between is never lost.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from shared import storage
from shared.followups import FollowUp, Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.retention import TRIES, purge
from shared.store import FeedbackStore

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("store_worker.py")
NOW = datetime.now(UTC)  # the worker records answers at the real time: today's day is never purged
OLD = NOW - timedelta(days=200)


def unmet(rating_id: str, ts: datetime) -> Rating:
    return Rating(
        id=rating_id,
        ts=ts,
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        contact=Contact("+12025550123"),
        comment="nobody said hello " * 4,
    )


def write_archive(store: FeedbackStore, count: int) -> Path:
    """This month's archive of ``count`` follow-ups opened long ago, each with a number, a comment and a
    note, written as the store writes a file (a busy shop's month: about 600 bytes each)."""
    followups = {}
    for n in range(count):
        followup = FollowUp.for_rating(unmet(f"old-{n}", OLD), now=OLD)
        followup = followup.resolve(Resolution.APOLOGISED, NOW - timedelta(hours=1), by="dee", note="called back")
        followups[followup.id] = followup.to_record()
    path = store.root / "followups" / f"{NOW:%Y-%m}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"followups": followups, "_meta": {"file": {"generation": 1}}}))
    return path


def personal_left(path: Path) -> int:
    """Follow-ups opened before the cut-off that still hold a number, a comment or a note."""
    journal = path.with_name(path.name + ".log")
    assert not journal.exists() or journal.stat().st_size == 0  # folded in: no old copy on disk
    records = orjson.loads(path.read_bytes())["followups"].values()
    cutoff = (NOW - timedelta(days=90)).isoformat()
    return sum(1 for r in records if r["created"] < cutoff and (r["contact"] or r["comment"] or r["note"]))


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process recording answers one after another for as long as the test runs."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(tmp_path / "data"), "--prefix", "w"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("ack ")
        yield worker
    finally:
        worker.kill()
        worker.wait(timeout=30)


def test_a_purge_folding_a_big_archive_holds_the_lock_only_to_read_it_and_to_rename_its_new_file(
    tmp_path: Path, recording: subprocess.Popen[str]
) -> None:
    store = FeedbackStore(tmp_path / "data")
    archive = write_archive(store, 20_000)
    started = time.perf_counter()
    orjson.loads(archive.read_bytes())  # what parsing it once costs on this machine now
    parse = time.perf_counter() - started
    worker = recording

    report = purge(store, older_than=timedelta(days=90), now=NOW)

    assert report.followups == 20_000
    assert personal_left(archive) == 0
    # Parsing 12 MB, writing and fsyncing it: over 100 ms under the lock before. A slice now holds
    # it for reading the file (a few ms) or renaming files and one folder fsync.
    assert store.longest_hold < max(0.05, parse / 2), (store.longest_hold, parse)
    worker.kill()
    assert worker.stdout is not None
    acked = [line.split()[1] for line in worker.communicate()[0].splitlines() if line.startswith("ack ")]
    # From NOW's day on: a run that crosses midnight UTC records into the next day's partition.
    kept = {rating.id for rating in FeedbackStore(store.root).ratings(NOW.date())}
    assert set(acked) <= kept  # every answer recorded meanwhile is there


RESOLVE = """
import sys
from datetime import datetime
from shared.followups import Resolution
from shared.store import FeedbackStore
now = datetime.fromisoformat(sys.argv[3])
FeedbackStore(sys.argv[1]).resolve(sys.argv[2], Resolution.RECOVERED, by="eve", note="met them", now=now)
"""


def test_a_follow_up_another_process_resolves_while_the_new_archive_is_written_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FeedbackStore(tmp_path / "data")
    archive = write_archive(store, 2_000)
    store.record_rating(unmet("recent", NOW - timedelta(days=2)), now=NOW - timedelta(days=2))
    folds: list[Path] = []
    real_fold = storage.Snapshot.fold

    def fold_then_resolve(self: storage.Snapshot, *args: object, **kwargs: object) -> storage.PreparedFold:
        prepared = real_fold(self, *args, **kwargs)  # type: ignore[arg-type]
        folds.append(self.path)
        if self.path == archive and folds.count(archive) == 1:
            # Between the read and the rename, with the lock free: another process resolves into this archive.
            command = [sys.executable, "-c", RESOLVE, str(store.root), "fu-recent", NOW.isoformat()]
            subprocess.run(command, check=True, cwd=ROOT, timeout=60)
        return prepared

    monkeypatch.setattr(storage.Snapshot, "fold", fold_then_resolve)
    report = purge(store, older_than=timedelta(days=90), now=NOW)

    resolved = FeedbackStore(store.root).get_followup("fu-recent")
    assert (resolved.status, resolved.note, resolved.comment) == ("resolved", "met them", "nobody said hello " * 4)
    assert folds.count(archive) == 2  # the first new file was dropped: the archive was read again
    assert report.followups == 2_000  # counted once
    assert personal_left(archive) == 0
    assert not list(store.root.glob(".*.tmp"))  # the dropped file is not left behind


def test_a_file_changed_under_every_fold_is_purged_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FeedbackStore(tmp_path / "data")
    archive = write_archive(store, 500)
    other = FeedbackStore(store.root)  # its own lock handle, like another process
    for n in range(TRIES + 1):
        other.record_rating(unmet(f"busy-{n}", NOW - timedelta(days=1)), now=NOW - timedelta(days=1))
    tries: list[int] = []
    real_fold = storage.Snapshot.fold

    def fold_then_change(self: storage.Snapshot, *args: object, **kwargs: object) -> storage.PreparedFold:
        prepared = real_fold(self, *args, **kwargs)  # type: ignore[arg-type]
        if self.path == archive and len(tries) < TRIES:
            tries.append(1)  # a resolve into the archive each time, the lock free
            other.resolve(f"fu-busy-{len(tries)}", Resolution.APOLOGISED, by="dee", now=NOW)
        return prepared

    monkeypatch.setattr(storage.Snapshot, "fold", fold_then_change)
    report = purge(store, older_than=timedelta(days=90), now=NOW)
    assert len(tries) == TRIES
    assert report.followups == 500
    assert personal_left(archive) == 0
    assert {f"fu-busy-{n}" for n in range(1, TRIES + 1)} <= set(orjson.loads(archive.read_bytes())["followups"])
