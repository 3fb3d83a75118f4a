"""Purge, export, report and backup over many days: a day per short transaction, memory of one day.

Behaviour, not timing: another writer gets in between the days of a long purge and loses
nothing; the daily purge with nothing new reads no old day; an export of four times the days
peaks no higher; bars appear on a terminal only; a copy taken while a process writes restores.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from feedback.cli import main
from shared import export
from shared import store as store_module
from shared.backup import BackupExists, backup
from shared.files import Transaction
from shared.followups import FollowUp
from shared.progress import terminal_progress
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.retention import purge
from shared.store import FeedbackStore

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=200)
WORKER = Path(__file__).with_name("store_worker.py")


def fill(store: FeedbackStore, days: int, per_day: int = 20, first: datetime = START) -> None:
    """``days`` days of answers with phone numbers and comments, one unmet in five."""
    for number in range(days):
        when = first + timedelta(days=number)
        store.record_ratings(
            [
                Rating(
                    id=f"d{number}-{n}",
                    ts=when + timedelta(minutes=n),
                    channel=Channel.SMS,
                    outcome=Outcome.BELOW if n % 5 == 0 else Outcome.MET,
                    contact=Contact(f"+1202555{n:04d}"),
                    comment="the queue " * 10,
                )
                for n in range(per_day)
            ],
            now=when + timedelta(hours=3),
        )


class CountingStore(FeedbackStore):
    """The real store, counting the transactions it opens (not joined ones)."""

    opened = 0

    def transaction(self) -> AbstractContextManager[Transaction]:
        self.opened += 1
        return super().transaction()


@pytest.fixture
def months(tmp_path: Path) -> CountingStore:
    store = CountingStore(tmp_path / "data")
    fill(store, 40)
    return store


def test_a_purge_takes_short_transactions_and_another_writer_gets_in_between(
    months: CountingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SLICE_SECONDS", 0.0)  # a day per transaction: a writer between each
    other = FeedbackStore(months.root, lock_timeout=2.0)  # its own lock handle, like another process
    written: list[str] = []

    def between_days(done: int, total: int) -> None:
        # The purge holds no lock here: a second store records at once (StoreBusy otherwise).
        rating_id = f"during-{done}"
        other.record_rating(
            Rating(id=rating_id, ts=NOW, channel=Channel.SMS, outcome=Outcome.BELOW, contact=Contact("+12025550199")),
            now=NOW,
        )
        written.append(rating_id)

    months.opened = 0
    report = purge(months, older_than=timedelta(days=30), now=NOW, steps=between_days)
    assert report.ratings == 40 * 20
    assert months.opened >= 40
    assert len(written) >= 40
    kept = {rating.id: rating for rating in months.ratings()}
    assert all(kept[rating_id].contact == Contact("+12025550199") for rating_id in written)


def test_the_daily_purge_with_nothing_new_reads_no_old_day(months: CountingStore) -> None:
    purge(months, older_than=timedelta(days=30), now=NOW)
    # Spoil an old day in place, its size and times kept: only a purge that reads it can notice.
    day = months.root / "ratings" / "2026" / "2026-06-02.json"
    stat = day.stat()
    with day.open("r+b") as spoiled:
        spoiled.write(b"#")
    os.utime(day, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fresh = CountingStore(months.root)  # no cache from the first purge
    again = purge(fresh, older_than=timedelta(days=30), now=NOW + timedelta(days=1))
    assert again.ratings == 0
    assert fresh.opened <= 4  # the plan, the queue, the channels: no day of the 40
    day.write_bytes(b"{" + day.read_bytes()[1:])

    # A day changed since (a late rating with a number) is read again and erased.
    late = Rating(id="late", ts=START, channel=Channel.SMS, outcome=Outcome.MET, contact=Contact("+12025550100"))
    months.record_rating(late, now=START)
    assert purge(months, older_than=timedelta(days=30), now=NOW).phones == 1
    assert months.get_rating("late", around=START).contact is None  # type: ignore[union-attr]


def test_a_purge_run_twice_erases_the_same_as_once(tmp_path: Path) -> None:
    once, twice = FeedbackStore(tmp_path / "once"), FeedbackStore(tmp_path / "twice")
    fill(once, 6)
    fill(twice, 6)
    purge(once, older_than=timedelta(days=3), now=START + timedelta(days=6))
    for _ in range(2):
        purge(twice, older_than=timedelta(days=3), now=START + timedelta(days=6))
    assert exported(once) == exported(twice)


def exported(store: FeedbackStore, fmt: str = "json") -> str:
    out = io.StringIO()
    write = export.write_json if fmt == "json" else export.write_csv
    followups = (FollowUp.from_record(record) for record in store.each_followup_record())
    write(out, store.ratings(), followups, include_contacts=True)
    return out.getvalue()


def test_the_streamed_json_is_the_document_it_always_was(months: CountingStore) -> None:
    document = json.loads(exported(months))
    ratings = list(months.ratings())
    assert document["ratings"] == [export.rating_row(r, include_contacts=True) for r in ratings]
    assert sorted(f["id"] for f in document["followups"]) == sorted(f.id for f in months.followups())
    assert len(document["followups"]) == 40 * 4


def test_the_csv_puts_each_follow_up_beside_its_rating(months: CountingStore) -> None:
    lines = exported(months, "csv").splitlines()
    assert len(lines) == 1 + 40 * 20
    assert sum(",open," in line for line in lines) == 40 * 4


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_export_of_four_times_the_days_peaks_no_higher(tmp_path: Path, fmt: str) -> None:
    def peak(days: int) -> int:
        store = FeedbackStore(tmp_path / f"{fmt}-{days}")
        fill(store, days, per_day=100)
        sink = open("/dev/null", "w")  # noqa: SIM115
        tracemalloc.start()
        try:
            followups = (FollowUp.from_record(record) for record in store.each_followup_record())
            (export.write_json if fmt == "json" else export.write_csv)(sink, store.ratings(), followups)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            sink.close()

    short, long = peak(8), peak(32)
    assert long < short * 1.6  # held all in memory, it would be about four times


def test_a_report_over_every_day_recounts_a_restored_copy_a_few_days_at_a_time(
    months: CountingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SLICE_SECONDS", 0.0)  # at least one day per transaction, never all
    before = months.daily_summaries(START.date(), NOW.date())
    copy = tmp_path / "copy"
    backup(months, copy)
    restored = CountingStore(copy)
    assert dict(restored.each_day_summary(START.date(), NOW.date())) == before
    assert restored.opened >= 40


@contextmanager
def writer_process(data: Path) -> Iterator[subprocess.Popen[str]]:
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(data), "--prefix", "w"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("ack ")  # writing before the copy starts
        yield worker
    finally:
        worker.kill()
        worker.wait(timeout=30)


def test_a_backup_taken_while_a_process_writes_restores_to_the_same_export(
    months: CountingStore, tmp_path: Path
) -> None:
    copy = tmp_path / "backup"
    with writer_process(months.root):
        backup(months, copy)
    restored = FeedbackStore(tmp_path / "restored")
    for path in copy.rglob("*"):  # restore: copy the backup into another folder
        if path.is_file():
            target = restored.root / path.relative_to(copy)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    reopened = FeedbackStore(restored.root)
    copied = json.loads(exported(reopened))
    ids = {rating["id"] for rating in copied["ratings"]}
    assert {f"d{day}-{n}" for day in range(40) for n in range(20)} <= ids
    # Everything the copy holds reads back the same; the writer's answers after the copy are not in it.
    assert copied["ratings"] == [r for r in json.loads(exported(months))["ratings"] if r["id"] in ids]
    assert exported(reopened) == exported(FeedbackStore(copy))
    # Every unmet answer in the copy has its follow-up.
    followups = {f["rating_id"] for f in copied["followups"]}
    assert {r["id"] for r in copied["ratings"] if r["outcome"] == "below"} <= followups


def test_a_backup_never_overwrites(months: CountingStore, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "precious.txt").write_text("x")
    with pytest.raises(BackupExists):
        backup(months, tmp_path / "full")
    assert main(["backup", str(tmp_path / "full"), "--data", str(months.root)]) == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_nowhere_else() -> None:
    for stream, drawn in ((Terminal(), True), (io.StringIO(), False)):
        with terminal_progress("export", stream=stream) as steps:
            steps(1, 2)
            steps(2, 2)
        assert bool(stream.getvalue()) is drawn


def test_long_commands_piped_print_only_their_one_line(months: CountingStore, tmp_path: Path) -> None:
    for args in (["purge"], ["report", "--since", "2026-06-01"], ["export", "-o", str(tmp_path / "x.json")]):
        result = subprocess.run(
            [sys.executable, "-m", "feedback", *args, "--data", str(months.root)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert "\x1b" not in result.stderr + result.stdout
        assert len(result.stderr.splitlines()) <= 1


def test_a_report_while_another_thread_records_loses_nothing(months: CountingStore) -> None:
    other = FeedbackStore(months.root)
    stop = threading.Event()
    recorded: list[str] = []

    def keep_recording() -> None:
        while not stop.is_set():
            rating_id = f"r{len(recorded)}"
            other.record_rating(Rating(id=rating_id, ts=NOW, channel=Channel.KIOSK, outcome=Outcome.MET), now=NOW)
            recorded.append(rating_id)

    thread = threading.Thread(target=keep_recording)
    thread.start()
    try:
        months.daily_summaries(date(2026, 1, 1), NOW.date())
    finally:
        stop.set()
        thread.join(timeout=30)
    assert set(recorded) <= {rating.id for rating in months.ratings(NOW.date(), NOW.date())}


def test_the_sms_purge_works_a_few_shards_per_transaction_and_a_text_meanwhile_is_kept(
    store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sms import records as sms_records

    old = NOW - timedelta(days=120)
    phones = [f"+1202555{n:04d}" for n in range(60)]  # spread over many of the 256 shards
    with store.transaction() as tx, sms_records.SmsRecords(tx) as records:
        for phone in phones:
            records.save_message(phone, f"SM-old-{phone}", old, {"body": "1 rude staff"})
    monkeypatch.setattr(sms_records, "PURGE_SLICE_SECONDS", 0.0)  # one shard per transaction
    other = FeedbackStore(store.root, lock_timeout=2.0)  # its own lock handle, like another process
    opened = 0

    @contextmanager
    def brief() -> Iterator[Transaction]:
        nonlocal opened
        opened += 1
        with store.brief_transaction() as tx:
            yield tx
        # Between two shards the lock is free: a text is recorded at once (StoreBusy otherwise).
        with other.transaction() as tx, sms_records.SmsRecords(tx) as records:
            records.save_message(phones[opened % len(phones)], f"SM-new-{opened}", NOW, {"body": "3 great"})

    # A text's own daily sweep of its shard may erase some first: together, every old one is gone.
    assert 0 < sms_records.purge_messages(brief, NOW - timedelta(days=90), dry_run=False) <= len(phones)
    assert opened == 1 + sms_records.NUMBER_SHARDS  # what the last purge left, then a shard each
    with store.transaction() as tx, sms_records.SmsRecords(tx) as records:
        kept = [message["body"] for phone in phones for message in records.messages(phone)]
    assert kept == ["3 great"] * opened


def test_after_a_purge_no_day_is_recounted(months: CountingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(40):  # each day a journal line beside its file
        when = START + timedelta(days=number, hours=1)
        late = Rating(id=f"late-{number}", ts=when, channel=Channel.KIOSK, outcome=Outcome.MET, comment="hi")
        months.record_rating(late, now=when)
    before = months.daily_summaries(START.date(), NOW.date())
    purge(months, older_than=timedelta(days=30), now=NOW)
    recounted: list[int] = []
    real = store_module.summarise_records
    monkeypatch.setattr(store_module, "summarise_records", lambda records: recounted.append(1) or real(records))
    fresh = FeedbackStore(months.root)  # another process: it trusts only the stamps on disk
    assert fresh.daily_summaries(START.date(), NOW.date()) == before
    assert recounted == []
