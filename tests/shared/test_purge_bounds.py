"""What a purge reads, how long it holds the lock, and what a killed one leaves.

The purge must not read what cannot hold anything to erase (today's busy day, the SMS shards
with nothing old since the last purge), must let taps and texts in often, and a purge killed at
any moment must leave a store that reads whole and that a second run finishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedback.cli import wire_channels
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.retention import STATE, purge
from shared.store import FeedbackStore, partition_name
from sms import records as sms_records

ROOT = Path(__file__).resolve().parents[2]


def answers(first: datetime, days: int, per_day: int = 10) -> list[list[Rating]]:
    """``days`` days of answers with a phone number and a comment, one unmet in five."""
    return [
        [
            Rating(
                id=f"d{number}-{n}",
                ts=first + timedelta(days=number, seconds=n),
                channel=Channel.SMS,
                outcome=Outcome.BELOW if n % 5 == 0 else Outcome.MET,
                contact=Contact(f"+1202555{n:04d}"),
                comment="the queue " * 10,
            )
            for n in range(per_day)
        ]
        for number in range(days)
    ]


def fill(store: FeedbackStore, first: datetime, days: int, per_day: int = 10) -> None:
    for number, day in enumerate(answers(first, days, per_day)):
        store.record_ratings(day, now=first + timedelta(days=number, hours=3))


def spoil(path: Path) -> bytes:
    """Damage a file in place, its size and times kept: only a command that reads it can notice."""
    content, stat = path.read_bytes(), path.stat()
    path.write_bytes(b"#" + content[1:])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return content


NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_purge_reads_no_day_received_wholly_after_the_cut_off(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data")
    fill(store, NOW - timedelta(days=120), 120)
    # Today's day (maybe 50,000 answers in a busy shop) and the last months': not one can be old enough.
    recent = store.root / f"{partition_name((NOW - timedelta(days=60)).date())}.json"
    content = spoil(recent)
    report = purge(FeedbackStore(store.root), older_than=timedelta(days=90), now=NOW)  # no cache: reads from disk
    assert report.ratings == 30 * 10  # the days received before the cut-off
    recent.write_bytes(content)
    assert all(rating.contact is not None for rating in store.ratings((NOW - timedelta(days=88)).date()))


def test_a_purge_holds_the_lock_briefly_whatever_the_history(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data")
    fill(store, NOW - timedelta(days=200), 200, per_day=20)
    started = time.perf_counter()
    report = purge(store, older_than=timedelta(days=30), now=NOW)
    took = time.perf_counter() - started
    assert report.ratings > 3000
    # A slice is ~15 ms of work (a day rewritten and fsynced each, then their folder): a tap waits for
    # one at most, never for the purge (bounds loose enough for a busy machine's fsyncs).
    assert store.longest_hold < 0.25
    assert store.longest_hold < took / 4


def test_the_daily_purge_reads_no_sms_shard_without_anything_old(tmp_path: Path) -> None:
    now = datetime.now(UTC)  # what the purge keeps of each shard is when it read it
    store = FeedbackStore(tmp_path / "data")
    phones = [f"+1202555{n:04d}" for n in range(40)]
    with store.transaction() as tx, sms_records.SmsRecords(tx) as records:
        for n, phone in enumerate(phones):
            records.save_message(phone, f"SM-{n}", now - timedelta(days=10 + n), {"body": "3 great"})
    wire_channels()
    purge(store, older_than=timedelta(days=90), now=now)  # reads each shard once
    shards = sorted((store.root / "sms" / "numbers").glob("*.json"))
    kept = [spoil(shard) for shard in shards]
    fresh = FeedbackStore(store.root)  # no cache from the first purge
    assert purge(fresh, older_than=timedelta(days=90), now=now + timedelta(days=1)).messages == 0
    for shard, content in zip(shards, kept, strict=True):
        shard.write_bytes(content)
    # Once the oldest message a shard holds is past the cut-off, that shard is read again, and erased.
    later = purge(fresh, older_than=timedelta(days=20), now=now)
    assert later.messages == 29  # sent 21 to 49 days ago
    with store.transaction() as tx, sms_records.SmsRecords(tx) as records:
        assert sum(len(records.messages(phone)) for phone in phones) == 11


@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL of a child")
def test_a_purge_killed_half_way_leaves_a_store_that_a_second_run_finishes(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    data = tmp_path / "data"
    store = FeedbackStore(data)
    fill(store, now - timedelta(days=300), 300, per_day=10)
    command = [sys.executable, "-m", "feedback", "purge", "--older-than", "30d", "--data", str(data)]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = data / f"{STATE}.json.log"
    deadline = time.monotonic() + 60
    while not (state.exists() and state.stat().st_size > 4000) and time.monotonic() < deadline:
        time.sleep(0.005)  # a few dozen days purged
    assert child.poll() is None, "the purge ended before it could be killed: give it more days"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    fresh = FeedbackStore(data)
    half = list(fresh.ratings())
    assert len(half) == 300 * 10  # every answer still there, every file readable
    assert 0 < sum(rating.comment == "" for rating in half) < 270 * 10  # killed half-way
    wire_channels()
    report = purge(fresh, older_than=timedelta(days=30), now=datetime.now(UTC))
    assert report.ratings > 0
    after = {rating.id: rating for rating in FeedbackStore(data).ratings()}
    assert len(after) == 300 * 10
    cutoff = datetime.now(UTC) - timedelta(days=30)
    assert all(r.comment == "" and r.contact is None for r in after.values() if r.received and r.received < cutoff)
    assert all(r.comment for r in after.values() if r.received and r.received > cutoff + timedelta(days=1))


def test_long_reads_parse_big_files_with_the_lock_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export, a recount after a restore and a report's month tally read a busy day (or month), and a
    fresh process the open follow-ups, under the lock and parse them after: a tap waits for reading 15 MB,
    not for parsing it."""
    import shutil

    import orjson

    from shared import storage
    from shared.files import FileLock
    from shared.store import QUEUE

    store = FeedbackStore(tmp_path / "data")
    first = NOW - timedelta(days=40)
    fill(store, first, 3, per_day=1500)  # three busy days, a few hundred kB each
    with store.transaction() as tx:  # and a month's archive of resolved follow-ups
        queued = dict(tx.records(QUEUE, "followups"))
    for followup_id in queued:
        store.resolve(followup_id, by="dee", resolution="apologised", now=first + timedelta(days=3))
    opened = first + timedelta(days=3)  # and a queue of 1,000 open ones, folded in one file
    store.record_ratings(
        [replace(rating, id=f"open-{rating.id}") for rating in answers(opened, 1, 5000)[0]],
        now=opened + timedelta(hours=3),
    )
    with store.transaction() as tx:
        tx.compact(QUEUE)
    assert (store.root / f"{QUEUE}.json").stat().st_size > 100_000
    restored = tmp_path / "restored"
    shutil.copytree(store.root, restored)  # new files: every day is recounted

    reader, copy = FeedbackStore(store.root), FeedbackStore(restored)  # fresh processes: nothing parsed yet
    parsed_locked: list[int] = []
    real = orjson.loads

    def loads(content: bytes | str) -> object:
        if len(content) > 100_000:
            probe = FileLock(restored / ".lock" if watching == "restored" else store.root / ".lock", timeout=0)
            try:
                probe.acquire()
                probe.release()
            except TimeoutError:
                parsed_locked.append(len(content))
        return real(content)

    monkeypatch.setattr(storage.orjson, "loads", loads)
    watching = "store"
    assert sum(1 for _ in reader.rating_records()) == 3 * 1500 + 5000
    assert sum(1 for _ in reader.each_followup_record()) == 3 * 300 + 1000
    assert parsed_locked == []
    watching = "restored"
    assert len(dict(copy.each_day_summary(first.date(), NOW.date()))) == 4
    loops, _ = copy.followup_loops(first.date(), NOW.date())
    assert len(loops) == 3 * 300 + 1000
    assert parsed_locked == []
    assert FeedbackStore(restored).daily_summaries(first.date(), NOW.date())  # the recounts were kept


def test_a_months_archive_that_only_grew_is_not_rewritten_but_one_a_reopen_left_old_copies_in_is(
    tmp_path: Path,
) -> None:
    store = FeedbackStore(tmp_path / "data")
    first = NOW - timedelta(days=100)
    fill(store, first, 1)
    opened = [f.id for f in store.open_followups()]
    for followup_id in opened[:-1]:  # resolved today, as most of a month's archive is: it only grows
        store.resolve(followup_id, "apologised", by="dee", now=NOW)
    archive = store.root / f"followups/{NOW:%Y-%m}.json"
    journal = archive.with_name(archive.name + ".log")
    purge(store, older_than=timedelta(days=200), now=NOW)  # nothing is that old
    store.resolve(opened[-1], "apologised", by="dee", now=NOW)  # one line more since that purge
    grown = (archive.stat().st_ino, journal.stat().st_size)
    assert grown[1] > 0
    purge(store, older_than=timedelta(days=200), now=NOW + timedelta(days=1))
    assert (archive.stat().st_ino, journal.stat().st_size) == grown  # read, but not rewritten

    store.reopen(opened[0], now=NOW + timedelta(days=1))  # its old copy stays in the archive's journal
    store.resolve(opened[0], "recovered", by="dee", now=NOW + timedelta(days=1))
    purge(store, older_than=timedelta(days=90), now=NOW + timedelta(days=2))
    assert journal.stat().st_size == 0 and "+1202555" not in archive.read_text()
