"""The durable TinyDB storage: atomic full writes, and the journal that keeps appends cheap."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from shared import storage
from shared.storage import DurableJSONStorage, StoreCorrupt


def reopened(path: Path) -> dict[str, dict[str, object]]:
    return DurableJSONStorage(path).read() or {}


def test_appends_go_to_the_journal_without_rewriting_the_file(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    writer = DurableJSONStorage(path)
    writer.append("ratings", {"a": {"n": 1}})  # the first documents make the file
    inode = path.stat().st_ino
    writer.append("ratings", {"b": {"n": 2}})
    writer.append("ratings", {"a": {"n": 3}})
    assert path.stat().st_ino == inode
    assert path.with_name("day.json.log").read_bytes().count(b"\n") == 2
    assert reopened(path) == {"ratings": {"a": {"n": 3}, "b": {"n": 2}}}


def test_a_torn_last_line_was_never_acknowledged_and_is_cut_by_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    DurableJSONStorage(path).append("ratings", {"a": {"n": 1}})
    DurableJSONStorage(path).append("ratings", {"b": {"n": 2}})
    journal = path.with_name("day.json.log")
    with journal.open("ab") as torn:
        torn.write(b'{"g":1,"t":"ratings","d":{"c":')  # a writer killed mid-append
    assert reopened(path) == {"ratings": {"a": {"n": 1}, "b": {"n": 2}}}
    DurableJSONStorage(path).append("ratings", {"d": {"n": 4}})
    assert reopened(path) == {"ratings": {"a": {"n": 1}, "b": {"n": 2}, "d": {"n": 4}}}
    assert b'"c":' not in journal.read_bytes()


def test_a_damaged_line_inside_the_journal_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    DurableJSONStorage(path).append("ratings", {"a": {"n": 1}})
    DurableJSONStorage(path).append("ratings", {"b": {"n": 2}})
    journal = path.with_name("day.json.log")
    journal.write_bytes(b"garbage\n" + journal.read_bytes())
    with pytest.raises(StoreCorrupt, match=r"day\.json\.log.*line 1 is damaged"):
        reopened(path)


def test_the_journal_is_folded_into_the_file_and_old_lines_are_never_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "COMPACT_AFTER", 3)
    path = tmp_path / "day.json"
    writer = DurableJSONStorage(path)
    writer.append("ratings", {"a": {"v": "first"}})  # makes the file
    writer.append("ratings", {"b": {"v": 1}})
    writer.append("ratings", {"a": {"v": "second"}})
    journal_before_folding = path.with_name("day.json.log").read_bytes()
    writer.append("ratings", {"c": {"v": 1}})  # three journaled documents: folded into a new file
    assert path.with_name("day.json.log").read_bytes() == b""
    # A crash after the new file but before the journal was emptied leaves old lines: ignored.
    path.with_name("day.json.log").write_bytes(journal_before_folding)
    assert reopened(path) == {"ratings": {"a": {"v": "second"}, "b": {"v": 1}, "c": {"v": 1}}}
    DurableJSONStorage(path).append("ratings", {"d": {"v": 1}})
    assert reopened(path) == {"ratings": {"a": {"v": "second"}, "b": {"v": 1}, "c": {"v": 1}, "d": {"v": 1}}}


def test_a_full_write_after_appends_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    writer = DurableJSONStorage(path)
    writer.append("ratings", {"a": {"n": 1}})
    writer.append("ratings", {"b": {"n": 2}})
    tables = writer.read() or {}
    writer.write({**tables, "notes": {"x": {"text": "full write"}}})
    assert reopened(path) == {"ratings": {"a": {"n": 1}, "b": {"n": 2}}, "notes": {"x": {"text": "full write"}}}
    assert DurableJSONStorage(path).signature() != DurableJSONStorage(tmp_path / "other.json").signature()


def test_a_reader_catches_up_with_another_writers_appends_without_reading_the_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "day.json"
    writer, reader = DurableJSONStorage(path), DurableJSONStorage(path)
    writer.append("ratings", {"a": {"n": 1}})
    writer.append("ratings", {"b": {"n": 2}})
    assert reader.read() == {"ratings": {"a": {"n": 1}, "b": {"n": 2}}}
    writer.append("ratings", {"c": {"n": 3}, "a": {"n": 4}})

    def no_full_read() -> None:
        raise AssertionError("the file was read again")

    monkeypatch.setattr(reader, "_load_file", no_full_read)
    reader.stale()
    assert reader.read() == {"ratings": {"a": {"n": 4}, "b": {"n": 2}, "c": {"n": 3}}}
    reader.append("ratings", {"d": {"n": 5}})  # and appends after the lines it caught up with
    assert reopened(path)["ratings"]["d"] == {"n": 5} and reopened(path)["ratings"]["c"] == {"n": 3}


def test_a_reader_reads_everything_again_after_another_writer_rewrote_the_file(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    writer, reader = DurableJSONStorage(path), DurableJSONStorage(path)
    writer.append("ratings", {"a": {"n": 1}})
    writer.append("ratings", {"b": {"n": 2}})
    assert reader.read() is not None
    writer.write({"ratings": {"a": {"n": 1}, "b": {"n": 2}, "x": {"n": 9}}})  # a full write (new generation)
    writer.append("ratings", {"y": {"n": 10}})
    reader.stale()
    assert reader.read() == {"ratings": {"a": {"n": 1}, "b": {"n": 2}, "x": {"n": 9}, "y": {"n": 10}}}


def test_an_append_whose_folding_fails_is_still_acknowledged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    monkeypatch.setattr(storage, "COMPACT_AFTER", 2)
    path = tmp_path / "day.json"
    writer = DurableJSONStorage(path)
    writer.append("ratings", {"a": {"n": 1}})  # makes the file

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    working = storage.write_atomically
    monkeypatch.setattr(storage, "write_atomically", disk_full)
    writer.append("ratings", {"b": {"n": 2}})
    writer.append("ratings", {"c": {"n": 3}})  # folding is due here, and fails: the append stands
    assert reopened(path) == {"ratings": {"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}}}
    monkeypatch.setattr(storage, "write_atomically", working)
    writer.append("ratings", {"d": {"n": 4}})  # folds now
    assert path.with_name("day.json.log").read_bytes() == b""
    assert reopened(path) == {"ratings": {"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}, "d": {"n": 4}}}


def test_rewrites_in_one_transaction_fsync_their_folder_once_and_cut_journals_only_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.store import FeedbackStore

    store = FeedbackStore(tmp_path / "data")
    names = [f"days/d{n}" for n in range(4)]
    with store.transaction() as tx:
        for name in names:
            tx.append(name, "ratings", {"a": {"comment": "rude"}})  # makes the file
            tx.append(name, "ratings", {"b": {"comment": "slow"}})  # a journal line
    journals = [store.root / f"{name}.json.log" for name in names]
    synced: list[Path] = []
    real = storage.fsync_directory
    monkeypatch.setattr(storage, "fsync_directory", lambda folder: (synced.append(folder), real(folder))[1])
    with store.transaction() as tx:
        for name in names:
            tx.rewrite(name, {"ratings": ({"a": {"comment": ""}, "b": {"comment": ""}}, [])})
        # Until the new files' renames are durable, the old files' journals must stay whole.
        assert all(journal.stat().st_size for journal in journals)
        assert synced == []
    assert synced == [store.root / "days"]
    assert not any(journal.stat().st_size for journal in journals)
    assert all(reopened(store.root / f"{name}.json")["ratings"]["b"] == {"comment": ""} for name in names)


def test_one_document_is_found_by_its_id_without_parsing_the_file(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    decoy = {"id": "d", "comment": 'he wrote "a":{"id":"a"} to fool us', "extra": {"b": "x"}}
    storage.write_atomically(
        path, orjson.dumps({"ratings": {"d": decoy, "a": {"id": "a", "n": 1}, "b": {"id": "b", "n": 2}}})
    )
    for key, found in (("a", {"id": "a", "n": 1}), ("b", {"id": "b", "n": 2}), ("zz", None)):
        fresh = DurableJSONStorage(path)
        assert fresh.find_by_id("ratings", key) == found
        assert fresh._cached is None  # nothing parsed but the one document
    assert fresh.find_by_id("ratings", "a") == {"id": "a", "n": 1}
    assert fresh._cached is not None  # asked again: parsed once, then looked up
    DurableJSONStorage(path).append("ratings", {"a": {"id": "a", "n": 3}})  # the journal names it: read it all
    assert DurableJSONStorage(path).find_by_id("ratings", "a") == {"id": "a", "n": 3}
    assert DurableJSONStorage(tmp_path / "none.json").find_by_id("ratings", "a") is None


def never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(self: DurableJSONStorage, content: bytes) -> object:
        raise AssertionError(f"{self.path.name} was parsed")

    monkeypatch.setattr(DurableJSONStorage, "_parse_file", parse)


def test_a_writer_that_never_read_the_file_appends_without_parsing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "COMPACT_AFTER", 2)
    monkeypatch.setattr(storage, "fold_share", lambda name: 0)  # folded as soon as the journal is the file's size
    path = tmp_path / "shard.json"
    first = DurableJSONStorage(path)
    for n in range(3):  # folded once: the file's generation is no longer 0
        first.append("ids", {f"old{n}": {"n": n}})
    with path.with_name("shard.json.log").open("ab") as torn:
        torn.write(b'{"g":1,"t":"ids","d":{"torn":')  # a writer killed mid-append
    with monkeypatch.context() as patch:
        never_parsed(patch)
        blind = DurableJSONStorage(path)
        blind.append("ids", {"new": {"n": 9}})
        blind.delete("ids", ["old0"])
    assert reopened(path) == {"ids": {"old1": {"n": 1}, "old2": {"n": 2}, "new": {"n": 9}}}


def test_a_blind_writer_reads_a_long_journal_only_from_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard of years has a journal of hundreds of KB: a writer that never read it learns where its last
    whole line ends from its last bytes (further back when a torn batch is longer than one piece)."""
    monkeypatch.setattr(storage, "COMPACT_BYTES", 100)
    path = tmp_path / "shard.json"
    DurableJSONStorage(path).write({"ids": {f"old{n}": {"n": "x" * 50} for n in range(100)}})
    earlier = DurableJSONStorage(path)
    for n in range(20):
        earlier.append("ids", {f"new{n}": {"n": n}})
    with path.with_name("shard.json.log").open("ab") as torn:
        torn.write(b'{"g":1,"t":"ids","d":{"torn":"' + b"y" * 350)  # a batch cut by a kill: 3 pieces long
    never_parsed(monkeypatch)
    monkeypatch.setattr(storage, "_bytes_of", lambda file: pytest.fail(f"{file} read whole"))
    DurableJSONStorage(path).append("ids", {"last": {"n": 99}})
    monkeypatch.undo()
    assert reopened(path) == {
        "ids": {
            **{f"old{n}": {"n": "x" * 50} for n in range(100)},
            **{f"new{n}": {"n": n} for n in range(20)},
            "last": {"n": 99},
        }
    }


def test_a_file_written_without_a_generation_is_appended_to_blind_as_generation_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "archive.json"
    storage.write_atomically(path, orjson.dumps({"followups": {"a": {"id": "a", "n": 1}}}))  # as bench history is
    never_parsed(monkeypatch)
    DurableJSONStorage(path).append("followups", {"b": {"id": "b", "n": 2}})
    monkeypatch.undo()
    assert reopened(path) == {"followups": {"a": {"id": "a", "n": 1}, "b": {"id": "b", "n": 2}}}


def test_blind_appends_still_fold_the_journal_when_it_is_due(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "COMPACT_AFTER", 3)
    path = tmp_path / "shard.json"
    DurableJSONStorage(path).append("ids", {"a": {"n": 0}})  # makes the file
    writer = DurableJSONStorage(path)
    for n in range(1, 8):
        writer.append("ids", {f"k{n}": {"n": n}})
    assert path.with_name("shard.json.log").read_bytes().count(b"\n") < 3 + 1  # folded, not grown without bound
    assert reopened(path) == {"ids": {"a": {"n": 0}, **{f"k{n}": {"n": n} for n in range(1, 8)}}}


def test_a_blind_writer_follows_another_writers_fold_to_the_new_generation(tmp_path: Path) -> None:
    path = tmp_path / "shard.json"
    DurableJSONStorage(path).append("ids", {"a": {"n": 1}})
    blind, other = DurableJSONStorage(path), DurableJSONStorage(path)
    blind.append("ids", {"b": {"n": 2}})
    other.compact()  # a new file of a new generation, the journal cut (no change feed here: only the files)
    blind.append("ids", {"c": {"n": 3}})  # a line of the old generation would be ignored: lost
    assert reopened(path) == {"ids": {"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}}}
    assert blind._cached is None


def test_a_blind_batch_larger_than_the_file_is_folded_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "day.json"
    DurableJSONStorage(path).append("ratings", {"first": {"n": 0}})
    batch = {f"r{n}": {"comment": "x" * 100} for n in range(1_000)}  # one line of ~120 KB: many documents
    DurableJSONStorage(path).append("ratings", batch)
    assert path.with_name("day.json.log").read_bytes() == b""  # a lookup never parses a 120 KB journal line
    assert reopened(path) == {"ratings": {"first": {"n": 0}, **batch}}


def test_a_key_found_in_several_places_is_the_one_place_that_passes_the_check(tmp_path: Path) -> None:
    path = tmp_path / "shard.json"
    mark = {"day": "2026-11-24"}
    storage.write_atomically(path, orjson.dumps({"numbers": {"+1": {"phone": "+1"}}, "swept": {"swept": mark}}))
    found = DurableJSONStorage(path).find_by_id("swept", "swept", check=lambda document: set(document) == {"day"})
    assert found == mark  # not the table of the same name, {"swept": {...}}
    unsure = DurableJSONStorage(path)  # no place passes: the file is read whole, which knows
    assert unsure.find_by_id("swept", "swept", check=lambda document: "phone" in document) == mark
    assert unsure._cached is not None


def test_a_file_another_tool_wrote_is_read_whole_not_taken_for_missing_a_key(tmp_path: Path) -> None:
    import json

    path = tmp_path / "day.json"
    path.write_text(json.dumps({"ratings": {"a": {"id": "a", "n": 1}}}, indent=2), encoding="utf-8")  # "a": {
    assert DurableJSONStorage(path).find_by_id("ratings", "a") == {"id": "a", "n": 1}
    assert DurableJSONStorage(path).find_by_id("ratings", "b") is None


def test_files_that_grow_alike_fold_at_different_sizes_from_one_to_two_times_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbers and ids spread evenly over 256 shards, so the shards grow alike: folded all at their file's
    size, they would all fold within a few hundred texts, a wave of parses and fsyncs. Each folds at
    its file's size and a share more fixed by its name, from nothing to as much again."""
    shares = [storage.fold_share(f"sms/numbers/{n:03}.json") for n in range(256)]
    assert len(set(shares)) > 200
    assert min(shares) < storage.FOLD_SHARES // 8 and max(shares) > 7 * storage.FOLD_SHARES // 8
    monkeypatch.setattr(storage, "COMPACT_AFTER", 1)
    journals = []
    for name in ("sms/numbers/000.json", "sms/numbers/001.json", "sms/numbers/002.json"):
        shard = DurableJSONStorage(tmp_path / name.replace("/", "-"), name=name)
        shard.write({"numbers": {f"+1{n}": {"n": n} for n in range(50)}})
        due = shard.path.stat().st_size * (1 + storage.fold_share(name) / storage.FOLD_SHARES)
        journal = 0
        for n in range(1000):
            line = len(orjson.dumps({"g": 1, "t": "numbers", "d": {f"+2{n}": {"n": n}}})) + 1
            shard.append("numbers", {f"+2{n}": {"n": n}})
            if shard._journal_valid_size == 0:  # folded
                break
            journal += line
        assert due - line <= journal < due
        journals.append(journal)
    assert len(set(journals)) == 3


def test_a_file_written_blind_is_folded_when_due_and_left_unparsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SMS shard or an id shard is appended to blind. Its fold has to parse it; kept parsed afterwards,
    hundreds of shards filled the cache. The next append after the fold is blind again."""
    monkeypatch.setattr(storage, "COMPACT_AFTER", 4)
    monkeypatch.setattr(storage, "fold_share", lambda name: 0)
    path = tmp_path / "shard.json"
    DurableJSONStorage(path).write({"ids": {f"old{n}": {"n": n} for n in range(3)}})
    blind = DurableJSONStorage(path)
    parsed: list[int] = []
    real = DurableJSONStorage._parse_file
    monkeypatch.setattr(
        DurableJSONStorage, "_parse_file", lambda self, content: parsed.append(1) or real(self, content)
    )
    for n in range(12):
        blind.append("ids", {f"new{n}": {"n": n}})
        assert not blind.parsed
    assert 1 <= len(parsed) <= 3  # once a fold
    assert not path.with_name("shard.json.log").exists() or path.with_name("shard.json.log").stat().st_size < 200
    expected = {f"old{n}": {"n": n} for n in range(3)} | {f"new{n}": {"n": n} for n in range(12)}
    assert reopened(path)["ids"] == expected


def test_a_large_file_only_written_and_looked_up_in_is_set_aside_one_read_whole_stays_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SMS server makes the day's file with its first answer, so it holds it parsed; after 50,000 texts
    that is 15 MB it only appends to and looks answers up in. Once such a file is as large as files
    read by their offsets, and nobody read it whole for a while, it is set aside. A file read whole
    between changes (a console's queue) stays parsed."""
    monkeypatch.setattr(storage.offsets, "OFFSETS_FROM", 4096)  # (their real sizes: 32 KiB, 1 MiB)
    monkeypatch.setattr(storage, "SEARCHED_UNTIL_PARSED", 1024)
    monkeypatch.setattr(storage, "ASIDE_AFTER", 8)
    written, watched = DurableJSONStorage(tmp_path / "day.json"), DurableJSONStorage(tmp_path / "queue.json")
    for file in (written, watched):
        file.write({"ratings": {}})
    for n in range(100):
        record = {f"r{n}": {"id": f"r{n}", "comment": "x" * 60}}
        written.append("ratings", record)
        watched.append("ratings", record)
        assert watched.read() is not None  # a console refreshing its list
        if n < 8:
            assert written.parsed
        assert written.find_by_id("ratings", f"r{n}") == record[f"r{n}"]
    assert not written.parsed and watched.parsed
    assert reopened(tmp_path / "day.json") == reopened(tmp_path / "queue.json")
