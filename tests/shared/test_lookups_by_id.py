"""An id is found whatever its age, in a fresh process, reading little: a repeated rating id by the id
index and the offsets beside a large day, an archived follow-up by the follow-up id index; old data
folders without those indexes still find everything, and a writer killed mid-way leaves them consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared import files, offsets, storage
from shared.followups import FollowUpStatus, Resolution
from shared.ratings import Channel, Rating
from shared.storage import DurableJSONStorage
from shared.store import (
    FOLLOWED_UP,
    FOLLOWUP_IDS,
    FOLLOWUP_INDEX_START,
    FeedbackStore,
    _followup_shard,
    _id_shard,
    month_name,
)
from tests.clocks import FakeClock

MakeRating = Callable[..., Rating]
ROOT = Path(__file__).resolve().parents[2]

CHECK_IN_A_FRESH_PROCESS = """
import dataclasses, sys
from datetime import datetime
from shared.store import FeedbackStore
store = FeedbackStore(sys.argv[1])
later = datetime.fromisoformat(sys.argv[3])
rating = dataclasses.replace(store.get_rating(sys.argv[2], later), ts=later)  # the same id, timed months later
recorded = store.record_rating(rating, now=datetime.fromisoformat(sys.argv[3]))
followup = store.get_followup(sys.argv[4]) if sys.argv[4] else None
print(recorded.duplicate, recorded.rating.ts.isoformat(), followup.status if followup else "")
"""


def in_a_fresh_process(root: Path, rating_id: str, at: str, followup_id: str = "") -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHECK_IN_A_FRESH_PROCESS, str(root), rating_id, at, followup_id],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return done.stdout.split()


def test_a_repeated_id_months_later_is_found_with_its_followup_in_a_fresh_process(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    first = store.record_rating(make_rating("below", id="kiosk-7")).rating
    store.resolve("fu-kiosk-7", Resolution.APOLOGISED, by="dee")
    for day in range(1, 100, 7):  # months of other answers, resolved each month
        clock.advance(days=7)
        store.record_rating(make_rating("below", id=f"later-{day}"), now=clock.now)
        store.resolve(f"fu-later-{day}", Resolution.APOLOGISED, by="dee", now=clock.now)
    later = (clock.now + timedelta(days=1)).isoformat()
    assert in_a_fresh_process(store.root, "kiosk-7", later, "fu-kiosk-7") == ["True", first.ts.isoformat(), "resolved"]
    assert [rating.id for rating in store.ratings() if rating.id == "kiosk-7"] == ["kiosk-7"]


def test_a_text_delivered_again_months_later_finds_the_item_it_opened(store: FeedbackStore, clock: FakeClock) -> None:
    opened = store.open_to_read("sms-SM9", "who do I talk to", channel=Channel.SMS)
    store.resolve(opened.id, Resolution.APOLOGISED, by="dee")
    clock.advance(days=75)
    fresh = FeedbackStore(store.root, clock=clock)
    again = fresh.open_to_read("sms-SM9", "who do I talk to", channel=Channel.SMS)
    assert again.id == opened.id and again.status is FollowUpStatus.RESOLVED
    assert fresh.open_followups() == []


def test_a_new_id_reads_no_month_of_the_archive(store: FeedbackStore, make_rating: MakeRating) -> None:
    for n in range(5):
        store.record_rating(make_rating("below", id=f"r{n}"))
        store.resolve(f"fu-r{n}", Resolution.APOLOGISED, by="dee")
    fresh = FeedbackStore(store.root)
    fresh.open_to_read("sms-new", "hello?", channel=Channel.SMS)
    assert not any(name.startswith("followups/") for name in fresh.files._storages)
    with fresh.transaction() as tx:
        assert fresh._archived_month(tx, "fu-r3") == month_name(store.clock())


def test_an_old_folder_without_the_followup_index_still_finds_archived_followups(
    store: FeedbackStore, make_rating: MakeRating, clock: FakeClock
) -> None:
    store.record_rating(make_rating("below", id="old"))
    store.resolve("fu-old", Resolution.APOLOGISED, by="dee")
    for path in sorted((store.root / FOLLOWUP_IDS).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()  # as a folder written before the index
    fresh = FeedbackStore(store.root, clock=clock)
    assert fresh.get_followup("fu-old").status is FollowUpStatus.RESOLVED
    clock.advance(days=40)  # the index starts with the next follow-up archived, a month later
    fresh.record_rating(make_rating("below", id="new", ts=clock.now), now=clock.now)
    fresh.resolve("fu-new", Resolution.APOLOGISED, by="dee", now=clock.now)
    with fresh.transaction() as tx:
        assert fresh._followup_index_start(tx) == month_name(clock.now - timedelta(days=40))
    again = FeedbackStore(store.root, clock=clock)
    assert again.get_followup("fu-old").status is FollowUpStatus.RESOLVED  # searched the old way
    assert again.get_followup("fu-new").status is FollowUpStatus.RESOLVED  # by the index
    reopened = again.reopen("fu-old")
    again.resolve(reopened.id, Resolution.APOLOGISED, by="dee")  # archived again: indexed now
    with again.transaction() as tx:
        assert again._archived_month(tx, "fu-old") == month_name(clock.now)


def test_a_big_day_is_read_by_its_offsets_and_changes_after_them_are_seen(
    store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offsets, "OFFSETS_FROM", 1)  # every day is "large"
    store.record_ratings([make_rating("met", id=f"busy-{n}", comment="x" * (n % 7)) for n in range(300)])
    store.record_rating(make_rating("met", id="tagged"))  # a journal line, tagged by the write-ahead log
    day = next(iter(store.root.glob("ratings/*/*.json")))
    assert FeedbackStore(store.root).get_rating("busy-42", store.clock()).comment == "x" * 0
    assert offsets.sidecar(day).exists()  # made by the lookup that read the day whole
    journal = day.with_name(day.name + ".log")
    assert offsets.find(day, journal, "ratings", "busy-43", lambda d: d["id"] == "busy-43")["comment"] == "x"
    assert offsets.find(day, journal, "ratings", "nobody", lambda d: d["id"] == "nobody") is None
    store.update_rating(make_rating("met", id="busy-43", comment="changed later"))  # a journal line after them
    assert FeedbackStore(store.root).get_rating("busy-43", store.clock()).comment == "changed later"
    store.record_rating(make_rating("met", id="late-arrival"))
    assert FeedbackStore(store.root).record_rating(make_rating("met", id="late-arrival")).duplicate
    with store.transaction() as tx:
        tx.compact(day.relative_to(store.root).with_suffix("").as_posix())  # a new file, new offsets beside it
    assert offsets.Offsets.read(day).header["file"] == list(storage._stat_of(day))
    found = offsets.find(day, journal, "ratings", "busy-43", lambda d: d["id"] == "busy-43")
    assert found["comment"] == "changed later"
    assert FeedbackStore(store.root).get_rating("late-arrival", store.clock()) is not None


@pytest.mark.parametrize(
    "damage",
    [
        lambda content: content[: len(content) // 2],  # cut short
        lambda content: content[: content.index(b"\n") + 1] + bytes(len(content) - content.index(b"\n") - 1),
        lambda content: b"garbage\n" + content,
    ],
    ids=["cut", "zeroed", "garbage"],
)
@pytest.mark.parametrize("mapped_from", [0, 1 << 30], ids=["mapped", "read"])
def test_damaged_offsets_are_never_trusted(
    store: FeedbackStore,
    make_rating: MakeRating,
    monkeypatch: pytest.MonkeyPatch,
    damage: Callable[[bytes], bytes],
    mapped_from: int,
) -> None:
    monkeypatch.setattr(offsets, "OFFSETS_FROM", 1)
    monkeypatch.setattr(offsets, "MAPPED_FROM", mapped_from)
    store.record_ratings([make_rating("met", id=f"busy-{n}") for n in range(100)])
    FeedbackStore(store.root).get_rating("busy-1", store.clock())
    [sidecar] = store.root.glob("ratings/*/.*.at")
    sidecar.write_bytes(damage(sidecar.read_bytes()))
    for n in (0, 50, 99):
        assert FeedbackStore(store.root).get_rating(f"busy-{n}", store.clock()) is not None
    assert FeedbackStore(store.root).get_rating("busy-100", store.clock()) is None


def test_a_small_file_is_read_from_the_journal_lines_that_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    writer = DurableJSONStorage(path)
    writer.write({"ratings": {f"r{n}": {"id": f"r{n}", "v": n} for n in range(50)}})
    writer.append("ratings", {"r7": {"id": "r7", "v": "newer"}})
    writer.append("ratings", {"r8": {"id": "r8", "v": "mentions r7 in a value"}})
    writer.delete("ratings", ["r9"])
    writer.append("other", {"r10": {"id": "r10", "v": "another table"}})
    assert DurableJSONStorage(path).find_by_id("ratings", "r7") == {"id": "r7", "v": "newer"}
    assert DurableJSONStorage(path).find_by_id("ratings", "r9") is None
    assert DurableJSONStorage(path).find_by_id("ratings", "r10") == {"id": "r10", "v": 10}
    writer.write(writer.read() or {})  # a new generation: the old lines are ignored, as a replay ignores them
    with path.with_name("day.json.log").open("ab") as journal:
        journal.write(b'{"g":0,"t":"ratings","d":{"r7":{"id":"r7","v":"stale"}}}\n')
    assert DurableJSONStorage(path).find_by_id("ratings", "r7") == {"id": "r7", "v": "newer"}


def test_a_store_walks_every_folder_for_temporaries_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    beside = data / "ratings" / "2026" / f".2026-11-24.json.{int(dead.stdout)}.tmp"  # as older versions left them
    beside.parent.mkdir(parents=True)
    beside.write_bytes(b'{"ratings": {"half')
    FeedbackStore(data)
    assert not beside.exists() and (data / files.SWEPT).exists()
    in_root = data / f".queue.json.{int(dead.stdout)}.tmp"
    in_root.write_bytes(b"{")

    def walk(*_: object, **__: object) -> None:
        raise AssertionError("every folder walked again")

    monkeypatch.setattr(files.os, "walk", walk)
    FeedbackStore(data)
    assert not in_root.exists()


WORKER = """
import sys
from datetime import UTC, datetime
from shared.followups import Resolution
from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
store = FeedbackStore(sys.argv[1])
prefix = sys.argv[2]
for n in range(100000):
    rating_id = f"{prefix}-{n}"
    store.record_rating(Rating(id=rating_id, ts=datetime.now(UTC), channel=Channel.KIOSK, outcome=Outcome.BELOW))
    store.resolve(f"fu-{rating_id}", Resolution.APOLOGISED, by="dee")
    print("ack", rating_id, flush=True)
"""


@pytest.mark.slow
def test_a_writer_killed_mid_way_leaves_the_followup_index_and_the_archive_consistent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acknowledged: list[str] = []
    for round_number, acks in enumerate((3, 17, 8, 30, 1, 12)):
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(data), f"k{round_number}"], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert worker.stdout is not None
        for _ in range(acks):
            acknowledged.append(worker.stdout.readline().split()[1])
        os.kill(worker.pid, signal.SIGKILL)
        rest, _ = worker.communicate(timeout=30)
        acknowledged += [line.split()[1] for line in rest.splitlines() if line.startswith("ack ")]
    store = FeedbackStore(data)
    for rating_id in acknowledged:
        assert store.get_followup(f"fu-{rating_id}").status is FollowUpStatus.RESOLVED
    with store.transaction() as tx:
        assert tx.records(FOLLOWUP_INDEX_START, "index")["start"] == {"last_unindexed_month": ""}
        for name in store.archive_names():
            for followup_id in tx.records(name, "followups"):  # every archived follow-up is indexed
                entry = tx.records(_followup_shard(followup_id), "followups")[followup_id]
                assert f"followups/{entry['month']}" == name
    # Every answer has its follow-up, open (a resolve killed) or archived; none twice.
    queued = {f.id for f in store.open_followups()}
    with store.transaction() as tx:
        archived = {key for name in store.archive_names() for key in tx.records(name, "followups")}
    assert queued.isdisjoint(archived)
    assert {f"fu-{rating.id}" for rating in store.ratings()} <= queued | archived


def test_storage_find_by_id_needs_no_id_field_with_a_check(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    DurableJSONStorage(path).write({"ids": {"ids": {"day": "2026-11-24"}, "a": {"day": "2026-11-23"}}})

    def is_entry(document: dict[str, object]) -> bool:
        return isinstance(document.get("day"), str)

    assert DurableJSONStorage(path).find_by_id("ids", "a", check=is_entry) == {"day": "2026-11-23"}
    assert DurableJSONStorage(path).find_by_id("ids", "ids", check=is_entry) == {"day": "2026-11-24"}
    assert DurableJSONStorage(path).find_by_id("ids", "_meta", check=is_entry) is None


def an_id_in_shard(shard: str, label: str) -> str:
    """A new UUID that the id index keeps in ``shard`` (``ids/NNN``)."""
    while _id_shard(rating_id := str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}-{uuid.uuid4()}"))) != shard:
        pass
    return rating_id


def test_a_flag_reads_a_years_shard_of_the_id_index_by_its_offsets_not_whole(
    store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard of years of ids (thousands of UUIDs) is asked for every new id: read whole, each answer
    would cost more every year. The first lookup makes its offsets; the next read none of it."""
    seen = make_rating("below", id=str(uuid.uuid4()))
    store.record_rating(seen)
    shard = _id_shard(seen.id)
    path = store.root / f"{shard}.json"
    history = {an_id_in_shard(shard, "old"): {"day": "2025-03-01", FOLLOWED_UP: 0} for _ in range(600)}
    DurableJSONStorage(path).write({"ids": {**history, **(DurableJSONStorage(path).read() or {})["ids"]}})
    assert path.stat().st_size > offsets.INDEX_FROM
    FeedbackStore(store.root).record_rating(make_rating("below", id=an_id_in_shard(shard, "first")))
    assert offsets.sidecar(path).exists()

    read: list[Path] = []
    for name in ("read_whole", "_bytes_of"):  # every whole read of a file and of a journal
        real = getattr(storage, name)
        monkeypatch.setattr(storage, name, lambda file, real=real: read.append(Path(file)) or real(file))
    fresh = FeedbackStore(store.root)
    assert not fresh.record_rating(make_rating("below", id=an_id_in_shard(shard, "new"))).duplicate
    assert fresh.record_rating(make_rating("below", id=seen.id)).duplicate  # in the file
    old = next(iter(history))
    with fresh.transaction() as tx:
        assert fresh._index_entry(tx, old) == {"day": "2025-03-01", FOLLOWED_UP: 0}  # in the file, years ago
    assert not [file for file in read if file.name.startswith(path.name)]  # neither the shard nor its journal


def test_a_journal_grown_past_its_offsets_bound_makes_them_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines appended after the offsets are searched on every lookup: past ``TAIL_LEAST`` (and an eighth of
    the file) the offsets are made again, so that search stays bounded however long the file is used."""
    monkeypatch.setattr(offsets, "TAIL_LEAST", 2_000)
    path = tmp_path / "ids.json"
    writer = DurableJSONStorage(path)
    writer.write({"ids": {f"old-{n}": {"day": "2026-01-01"} for n in range(100)}})

    def find(key: str) -> dict[str, Any] | None:
        return DurableJSONStorage(path).find_by_id("ids", key, check=lambda entry: "day" in entry, offsets_from=1)

    assert find("old-7") == {"day": "2026-01-01"}
    made = offsets.sidecar(path).read_bytes()
    writer.append("ids", {"new-1": {"day": "2026-11-24"}})
    assert find("new-1") == {"day": "2026-11-24"}  # searched in the journal's tail
    assert offsets.sidecar(path).read_bytes() == made
    for n in range(2, 60):
        writer.append("ids", {f"new-{n}": {"day": "2026-11-24"}})
    with pytest.raises(offsets.Unknown, match="journal grew"):
        offsets.find(path, path.with_name("ids.json.log"), "ids", "new-1", lambda entry: True)
    assert find("new-1") == {"day": "2026-11-24"} and find("new-59") == {"day": "2026-11-24"}
    assert find("never") is None and find("old-99") == {"day": "2026-01-01"}
    assert offsets.sidecar(path).read_bytes() != made  # made anew: the journal's lines are in them now
    assert offsets.find(path, path.with_name("ids.json.log"), "ids", "new-59", lambda entry: True) is not None


def test_a_changed_answer_looks_its_followup_up_in_a_big_queue_not_parsing_it(
    store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 open follow-ups are a queue of 10 MB, more than the cache keeps: parsed for every text that
    changes an answer, a server fell from 560 to 7 texts a second."""
    monkeypatch.setattr(offsets, "OFFSETS_FROM", 1)  # every file is "large"
    store.record_ratings([make_rating("below", id=f"open-{n}", comment=f"c{n}") for n in range(200)])
    read: list[Path] = []
    for name in ("read_whole", "_bytes_of", "_read_with_stat"):  # every whole read of a file and of a journal
        real = getattr(storage, name)
        monkeypatch.setattr(storage, name, lambda file, real=real: read.append(Path(file)) or real(file))
    fresh = FeedbackStore(store.root)
    fresh.update_rating(make_rating("below", id="open-7", comment="worse than I said"))
    assert not [file for file in read if file.name.startswith("queue.json")]
    assert FeedbackStore(store.root).get_followup("fu-open-7").comment == "worse than I said"
    assert len(FeedbackStore(store.root).open_followups()) == 200


def test_a_server_changing_answers_reads_a_queue_of_hundreds_by_its_offsets_not_whole_each_time(
    store: FeedbackStore, make_rating: MakeRating, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queue past 32 KiB (a few hundred open follow-ups) is not kept parsed by a server that only looks
    follow-ups up in it: searched whole for every changed answer, 2,000 open cost a text 0.35 ms."""
    store.record_ratings([make_rating("below", id=f"open-{n}", comment="c" * 80) for n in range(300)])
    assert (store.root / "queue.json").stat().st_size > offsets.INDEX_FROM
    read: list[Path] = []
    for name in ("read_whole", "_bytes_of", "_read_with_stat"):  # every whole read of a file and of a journal
        real = getattr(storage, name)
        monkeypatch.setattr(storage, name, lambda file, real=real: read.append(Path(file)) or real(file))
    server = FeedbackStore(store.root)
    for n in range(10):
        server.update_rating(make_rating("below", id=f"open-{n}", comment=f"worse, take {n}"))
    assert not [file for file in read if file.name.startswith("queue.json")]
    assert FeedbackStore(store.root).get_followup("fu-open-9").comment == "worse, take 9"


def test_a_lookup_repeated_in_a_transaction_reads_nothing_again_but_sees_its_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text asks its number's record twice and its earlier answer's id and day twice: the second answer
    is the first, unless the file changed in between (the transaction's own write, first of all)."""
    monkeypatch.setattr(offsets, "OFFSETS_FROM", 1)
    store = files.StoreFiles(tmp_path)
    with store.transaction() as tx:
        tx.db("day").table("ratings")  # (the file is made by its first write)
        tx.append("day", "ratings", {f"r{n}": {"id": f"r{n}", "v": n} for n in range(50)})
    with files.StoreFiles(tmp_path).transaction() as tx:
        tx.find_by_id("day", "ratings", "r0")  # the offsets made
    asked = []
    real = offsets.Reader.find
    monkeypatch.setattr(offsets.Reader, "find", lambda self, *args: asked.append(args[1]) or real(self, *args))
    fresh = files.StoreFiles(tmp_path)
    with fresh.transaction() as tx:
        assert tx.find_by_id("day", "ratings", "r7") == {"id": "r7", "v": 7}
        assert tx.find_by_id("day", "ratings", "r7") == {"id": "r7", "v": 7}
        assert tx.find_by_id("day", "ratings", "nobody") is None
        assert tx.find_by_id("day", "ratings", "nobody") is None
        assert asked == ["r7", "nobody"]
        tx.append("day", "ratings", {"r7": {"id": "r7", "v": "changed"}, "nobody": {"id": "nobody", "v": 0}})
        assert tx.find_by_id("day", "ratings", "r7") == {"id": "r7", "v": "changed"}
        assert tx.find_by_id("day", "ratings", "nobody") == {"id": "nobody", "v": 0}
    with fresh.transaction() as tx:  # another transaction: asked again (another process may have written)
        assert tx.find_by_id("day", "ratings", "r7") == {"id": "r7", "v": "changed"}
    assert asked == ["r7", "nobody", "r7", "nobody", "r7"]
