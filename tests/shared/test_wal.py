"""The write-ahead log: one fsync per transaction, and nothing acknowledged lost to a power cut.

A power cut cannot be caused in a test; what it does to the files can. Journal lines are written
without an fsync of their own, so a cut may take back any of them that the kernel had not yet
written out. The tests write with the log of one boot, take the journals back to what their last
fsync made durable, and open the store as the next boot does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared import wal
from shared.followups import Resolution
from shared.ratings import Rating
from shared.storage import StoreWriteError
from shared.store import FeedbackStore
from tests.clocks import FakeClock

MakeRating = Callable[..., Rating]


@pytest.fixture
def boot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set the boot id the store reads (as ``/proc/sys/kernel/random/boot_id`` would give it)."""
    path = tmp_path / "boot_id"
    monkeypatch.setattr(wal, "BOOT_ID", path)

    def set_boot(name: str) -> None:
        path.write_text(name + "\n")

    set_boot("1111")
    yield set_boot


def journals(root: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in root.rglob("*.json.log")}


def fsynced_journals(root: Path) -> dict[Path, int]:
    """The journals of the files the log keeps (not the summaries: counts, rebuilt when they disagree)."""
    return {path: size for path, size in journals(root).items() if size and "summaries" not in path.parts}


def power_cut(root: Path, durable: dict[Path, int]) -> int:
    """Take every journal back to its size when it was last made durable (``durable``); a journal made
    since loses everything. Returns how many bytes were lost."""
    lost = 0
    for path, size in journals(root).items():
        kept = durable.get(path, 0)
        lost += size - kept
        if kept:
            os.truncate(path, kept)
        else:
            path.unlink()
    return lost


def segments(root: Path) -> list[Path]:
    return sorted((root / wal.FOLDER).glob("*.log"))


def files_made(store: FeedbackStore, make_rating: MakeRating) -> None:
    """Make the files a flag writes, every shard of the id index too, so later flags append to them
    (a file's first write is a whole new file, fsynced itself)."""
    store.record_ratings([make_rating("met", id=f"seed-{n}") for n in range(3000)])
    store.record_rating(make_rating("below", id="seed-flag"))
    assert len(list((store.root / "ids").glob("[0-9]*.json"))) == 256


def test_a_flag_is_one_record_and_one_fsync_however_many_files_it_changes(
    boot: object, store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    files_made(store, make_rating)
    store.files.checkpoint()
    syncs: list[int] = []
    real_fsync, real_fdatasync = os.fsync, os.fdatasync
    monkeypatch.setattr(os, "fsync", lambda fd: (syncs.append(fd), real_fsync(fd))[1])
    monkeypatch.setattr(os, "fdatasync", lambda fd: (syncs.append(fd), real_fdatasync(fd))[1])
    before = journals(store.root)
    store.record_rating(make_rating("below", id="flag"))
    grown = [path.name for path, size in journals(store.root).items() if size > before.get(path, 0)]
    assert len(grown) >= 3  # the id index, the day, the queue (and the summary, which is not fsynced)
    assert len(syncs) == 1
    [segment] = segments(store.root)
    assert segment.read_bytes().count(b"\n") == 1


def test_acknowledged_answers_lost_from_the_journals_by_a_power_cut_come_back_from_the_log(
    tmp_path: Path, make_rating: MakeRating, boot: Callable[[str], None], clock: FakeClock
) -> None:
    data = tmp_path / "data"
    store = FeedbackStore(data)
    files_made(store, make_rating)
    followup = store.get_followup("fu-seed-flag")
    store.files.checkpoint()  # everything so far durable in its own file
    durable = journals(data)
    acknowledged = [store.record_rating(make_rating("below", id=f"cut-{n}")).rating.id for n in range(10)]
    store.claim(followup.id, "dee")
    store.resolve(followup.id, Resolution.APOLOGISED, by="dee")
    assert power_cut(data, durable) > 0

    # The same boot never replays (its page cache held the lines): this is what the cut took.
    same_boot = {rating.id for rating in list(FeedbackStore(data).ratings())}
    assert not set(acknowledged) & same_boot

    boot("2222")
    after = FeedbackStore(data)
    assert set(acknowledged) <= {rating.id for rating in list(after.ratings())}
    assert {f"fu-cut-{n}" for n in range(10)} <= {f.id for f in after.open_followups()}
    assert after.get_followup(followup.id).resolution == Resolution.APOLOGISED
    day = clock.now.date()  # the day the answers were recorded on (the fake clock's, not today's)
    counted = after.daily_summaries(day, day)[day.isoformat()]
    assert sum(hour["answers"] for hour in counted.values()) == 3011  # recounted or adjusted, they agree
    assert segments(data) == []  # replayed, made durable, gone


def test_replaying_twice_adds_nothing(tmp_path: Path, make_rating: MakeRating, boot: Callable[[str], None]) -> None:
    data = tmp_path / "data"
    store = FeedbackStore(data)
    files_made(store, make_rating)
    for n in range(20):
        store.record_rating(make_rating("below", id=f"r{n}"))
    kept = tmp_path / "kept"
    shutil.copytree(data / wal.FOLDER, kept)
    boot("2222")
    assert len(list(FeedbackStore(data).ratings())) == 3021  # nothing lost: nothing to add
    sizes = journals(data)
    shutil.copytree(kept, data / wal.FOLDER, dirs_exist_ok=True)  # the same segment found again
    boot("3333")
    again = FeedbackStore(data)
    assert len(list(again.ratings())) == 3021 and len(again.open_followups()) == 21
    assert journals(data) == sizes


def test_a_torn_record_is_ignored_and_cut_before_the_next(
    boot: Callable[[str], None], store: FeedbackStore, make_rating: MakeRating
) -> None:
    files_made(store, make_rating)
    store.record_rating(make_rating("below", id="whole"))
    [segment] = segments(store.root)
    with segment.open("ab") as torn:  # a writer killed mid-record (a big batch): never acknowledged
        torn.write(b'{"c": [["queue.json", "{\\"g\\": 1, \\"t\\": \\"followups\\", \\"d\\": {\\"fu-ghost')
        torn.write(b"x" * (1 << 21))  # longer than one read of the search for the last whole record
    store.record_rating(make_rating("below", id="after"))
    content = segment.read_bytes()
    assert b"ghost" not in content and content.endswith(b"\n")
    records = wal.read_records(segment)
    assert len(records) == content.count(b"\n")  # every record whole
    assert b"fu-whole" in b"".join(line for _, line in records[-2])  # the one before the torn one kept
    assert b"fu-after" in b"".join(line for _, line in records[-1])


def test_a_full_log_takes_the_transaction_back_out_of_every_journal(
    boot: object, store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    files_made(store, make_rating)
    sizes = fsynced_journals(store.root)

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as disk:
        disk.setattr(os, "fdatasync", full)
        with pytest.raises(StoreWriteError, match="the disk is full"):
            store.record_rating(make_rating("below", id="refused"))
    assert b"refused" not in b"".join(path.read_bytes() for path in segments(store.root))
    assert fsynced_journals(store.root) == sizes
    fresh = FeedbackStore(store.root)
    assert "refused" not in {r.id for r in fresh.ratings()}
    assert [f.id for f in fresh.open_followups()] == ["fu-seed-flag"]
    store.record_rating(make_rating("below", id="later"))  # the next one works
    assert {"later", "seed-flag"} <= {r.id for r in FeedbackStore(store.root).ratings()}


def test_segments_are_closed_and_check_pointed_so_the_log_stays_small(
    boot: object, store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wal, "SEGMENT_BYTES", 4096)
    for n in range(60):
        store.record_rating(make_rating("below", id=f"r{n}", comment="x" * 200))
    assert store.files.wal is not None
    store.files.wal.wait_for_checkpoint()
    left = segments(store.root)
    assert 1 <= len(left) <= 2  # the open one, and at most the one just closed
    assert sum(path.stat().st_size for path in left) < 2 * 4096 + 4096
    assert len(list(FeedbackStore(store.root).ratings())) == 60
    store.files.checkpoint()
    assert [path.stat().st_size for path in segments(store.root)] == [0]


def test_without_a_boot_id_every_line_is_fsynced_itself(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wal, "BOOT_ID", tmp_path / "no such file")
    plain = FeedbackStore(tmp_path / "plain")
    assert plain.files.wal is None
    plain.record_rating(make_rating("below", id="one"))
    plain.record_rating(make_rating("below", id="two"))
    assert not (plain.root / wal.FOLDER).exists()
    assert {r.id for r in list(FeedbackStore(plain.root).ratings())} == {"one", "two"}
