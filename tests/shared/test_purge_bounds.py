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
                ts=first + timedelta(days=number, minutes=n),
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
    # A slice is ~15 ms of work (a day rewritten and fsynced each); a tap waits for one at most.
    assert store.longest_hold < 0.1
    assert store.longest_hold < took / 10


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
