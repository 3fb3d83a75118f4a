"""The offsets beside a file answer exactly what reading the file would, whatever its journal holds.

An SMS shard's journal is made of lines that change two tables at once (a number and its message),
and a queue's of deletions: the offsets count those lines too, so a lookup of a shard of years
never reads it whole. Whatever the mix of changes, every key's answer from the offsets is the one
a full read gives: its newest version, or nothing for a key deleted or never written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import offsets
from shared.storage import DurableJSONStorage

KEYS = st.sampled_from(["+1202", "+1203", "+1202 SM1", "SM1", 'a"b', "ü", "x" * 40, "k,{}"])
DOCUMENT = st.fixed_dictionaries({"v": st.integers(0, 9) | st.text(max_size=8)})
TABLE_CHANGE = st.tuples(st.dictionaries(KEYS, DOCUMENT, max_size=3), st.lists(KEYS, max_size=2))
CHANGE = st.dictionaries(st.sampled_from(["numbers", "messages"]), TABLE_CHANGE, min_size=1, max_size=2)


def answers(path: Path, table: str, key: str, tail: offsets.Tail | None = None) -> Any:
    """What the offsets say of ``key`` (made anew if they cannot say), the lines after them searched or,
    with ``tail``, read into it once each."""
    journal = path.with_name(path.name + ".log")
    try:
        return offsets.find(path, journal, table, key, lambda document: True, tail)
    except offsets.Unknown:
        made = offsets.make(path, journal)
        assert made is not None, "these lines are all of a shape the offsets count"
        offsets.sidecar(path).write_bytes(made)
        return offsets.find(path, journal, table, key, lambda document: True, tail)


@settings(max_examples=150, deadline=None)
@given(
    first=st.dictionaries(KEYS, DOCUMENT, min_size=1),
    changes=st.lists(CHANGE, max_size=8),
    made_after=st.integers(0, 8),
    mapped=st.booleans(),
)
def test_the_offsets_answer_every_key_as_a_full_read_does(
    tmp_path_factory: pytest.TempPathFactory,
    first: dict[str, dict[str, Any]],
    changes: list[dict[str, tuple[dict[str, Any], list[str]]]],
    made_after: int,
    mapped: bool,
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(offsets, "MAPPED_FROM", 0 if mapped else offsets.MAPPED_FROM)  # a large sidecar is mapped
        check_every_key_against_a_full_read(tmp_path_factory.mktemp("shard") / "shard.json", first, changes, made_after)


def check_every_key_against_a_full_read(
    path: Path,
    first: dict[str, dict[str, Any]],
    changes: list[dict[str, tuple[dict[str, Any], list[str]]]],
    made_after: int,
) -> None:
    writer = DurableJSONStorage(path)
    writer.write({"numbers": first, "messages": {}})
    tail = offsets.Tail()
    for number, change in enumerate(changes):
        if number == made_after:  # the offsets made part way: the later lines are their tail
            answers(path, "numbers", "+1202", tail)
        writer.change(change)
        if number % 3 == 0:  # the tail read part by part, as lookups come between answers
            answers(path, "numbers", "+1203", tail)
    everything = DurableJSONStorage(path).read() or {}
    for table in ("numbers", "messages"):
        for key in ["+1202", "+1203", "+1202 SM1", "SM1", 'a"b', "ü", "x" * 40, "k,{}", "never"]:
            expected = everything.get(table, {}).get(key)
            assert answers(path, table, key) == expected, (table, key)
            assert answers(path, table, key, tail) == expected, (table, key)


def test_a_shard_of_two_table_lines_is_looked_up_by_its_offsets(tmp_path: Path) -> None:
    """As the SMS records write: each text changes its number and adds a message, in one line."""
    path = tmp_path / "shard.json"
    writer = DurableJSONStorage(path)
    writer.write({"numbers": {"+1202": {"n": 0}}, "messages": {}})
    for n in range(50):
        writer.change({"numbers": ({"+1202": {"n": n}}, []), "messages": ({f"+1202 SM{n}": {"body": "1"}}, [])})
    journal = path.with_name("shard.json.log")
    made = offsets.make(path, journal)
    assert made is not None
    offsets.sidecar(path).write_bytes(made)
    assert offsets.find(path, journal, "messages", "+1202 SM7", lambda document: True) == {"body": "1"}
    assert offsets.find(path, journal, "messages", "+1202 SM50", lambda document: True) is None


def test_lines_taken_back_out_of_the_journal_are_not_found_after_the_storage_forgets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed transaction's lines are cut from the journal and its storages forget what they read: a line
    read into the tail meanwhile must go too, even when the next line is as long as the one cut."""
    monkeypatch.setattr(offsets, "OFFSETS_FROM", 1)  # every file is "large": its lines after the offsets are read once
    path, journal = tmp_path / "day.json", tmp_path / "day.json.log"
    writer = DurableJSONStorage(path)
    writer.write({"ratings": {f"r{n}": {"id": f"r{n}", "v": n} for n in range(40)}})
    writer.append("ratings", {"r1": {"id": "r1", "v": "kept"}})
    reader = DurableJSONStorage(path)
    assert reader.find_by_id("ratings", "r1") == {"id": "r1", "v": "kept"}  # offsets made
    before = journal.stat().st_size
    writer.append("ratings", {"r2": {"id": "r2", "v": "cut"}})
    assert reader.find_by_id("ratings", "r2") == {"id": "r2", "v": "cut"}  # read into the tail
    os.truncate(journal, before)  # the transaction failed: its line taken back out
    reader.forget()
    writer.forget()
    writer.append("ratings", {"r3": {"id": "r3", "v": "new"}})  # as long as the line cut
    assert reader.find_by_id("ratings", "r2") == {"id": "r2", "v": 2}
    assert reader.find_by_id("ratings", "r3") == {"id": "r3", "v": "new"}


def test_a_storage_keeps_the_offsets_it_read_and_follows_the_journal_without_making_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server asks the same shards on every text: it reads their offsets once, not at every lookup, and
    follows their journals line by line, where a fresh process makes the offsets anew past a bound."""
    monkeypatch.setattr(offsets, "TAIL_LEAST", 2_000)
    path = tmp_path / "ids.json"
    writer = DurableJSONStorage(path)
    writer.write({"ids": {f"old-{n}": {"day": "2026-01-01"} for n in range(100)}})
    read = []
    real = offsets.Offsets.read
    monkeypatch.setattr(offsets.Offsets, "read", lambda path: read.append(path) or real(path))
    server = DurableJSONStorage(path)

    def find(storage: DurableJSONStorage, key: str) -> dict[str, Any] | None:
        return storage.find_by_id("ids", key, check=lambda entry: "day" in entry, offsets_from=1)

    assert find(server, "old-7") == {"day": "2026-01-01"}  # made, then read
    made = offsets.sidecar(path).read_bytes()
    for n in range(80):  # twice the bound a search of the lines after the offsets has
        writer.append("ids", {f"new-{n}": {"day": "2026-11-24"}})
        assert find(server, f"new-{n}") == {"day": "2026-11-24"}
        assert find(server, "old-99") == {"day": "2026-01-01"} and find(server, "never") is None
    writer.delete("ids", ["old-99"])
    assert find(server, "old-99") is None
    assert len(read) == 2 and offsets.sidecar(path).read_bytes() == made  # read once (and once to be made)
    assert find(DurableJSONStorage(path), "new-0") == {"day": "2026-11-24"}  # a new process: made anew
    assert offsets.sidecar(path).read_bytes() != made
    assert find(server, "new-79") == {"day": "2026-11-24"}  # the ones held still right (the file unchanged)
    writer.write(writer.read() or {})  # a fold: a new file, so new offsets
    assert find(server, "new-5") == {"day": "2026-11-24"} and find(server, "old-99") is None


def test_a_process_that_asks_once_parses_only_the_lines_that_name_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A duplicate check in a fresh process, a flag's new id in one shard of 256: one lookup each. Counting
    every line after the offsets would cost it hundreds of parses; a second lookup counts them, once."""
    path = tmp_path / "ids.json"
    writer = DurableJSONStorage(path)
    writer.write({"ids": {f"old-{n}": {"day": "2026-01-01"} for n in range(100)}})
    DurableJSONStorage(path).find_by_id("ids", "old-1", check=lambda entry: "day" in entry, offsets_from=1)
    for n in range(50):
        writer.append("ids", {f"new-{n}": {"day": "2026-11-24"}})
    counted = []
    real = offsets.Tail._count_line
    monkeypatch.setattr(offsets.Tail, "_count_line", lambda self, *args: counted.append(args) or real(self, *args))
    once = DurableJSONStorage(path)
    assert once.find_by_id("ids", "new-7", check=lambda entry: "day" in entry, offsets_from=1) == {"day": "2026-11-24"}
    assert counted == []
    assert once.find_by_id("ids", "new-8", check=lambda entry: "day" in entry, offsets_from=1) == {"day": "2026-11-24"}
    assert len(counted) == 50


def test_lines_taken_back_take_the_offsets_made_from_them_too(tmp_path: Path) -> None:
    """A transaction that failed (a full disk on the log) takes its lines back out. Offsets made during it
    counted them: a later line as long, in the same place, would be found for a key never written."""
    path, journal = tmp_path / "ids.json", tmp_path / "ids.json.log"
    writer = DurableJSONStorage(path)
    writer.write({"ids": {f"old-{n}": {"day": "2026-01-01"} for n in range(40)}})
    before = journal.stat().st_size if journal.exists() else 0
    writer.append("ids", {"never-1": {"day": "2026-11-25"}})  # the failed transaction's line
    assert DurableJSONStorage(path).find_by_id("ids", "never-1", check=lambda e: "day" in e, offsets_from=1)
    assert offsets.sidecar(path).exists()  # made with that line counted
    writer.take_back(before)
    assert not offsets.sidecar(path).exists()
    writer.append("ids", {"other-1": {"day": "2026-11-26"}})  # as long, where the line taken back was
    assert journal.stat().st_size == before + len(b'{"g":1,"t":"ids","d":{"other-1":{"day":"2026-11-26"}}}\n')
    reader = DurableJSONStorage(path)
    assert reader.find_by_id("ids", "never-1", check=lambda e: "day" in e, offsets_from=1) is None
    assert reader.find_by_id("ids", "other-1", check=lambda e: "day" in e, offsets_from=1) == {"day": "2026-11-26"}


@settings(max_examples=100, deadline=None)
@given(
    tables=st.dictionaries(
        st.sampled_from(["numbers", "messages", "ids", 'we"ird']),
        st.dictionaries(KEYS, DOCUMENT | st.lists(st.integers(-(2**63), 2**63 - 1)) | st.none(), max_size=4),
        min_size=1,
        max_size=3,
    )
)
def test_offsets_written_with_a_file_are_the_ones_reading_it_back_makes(
    tmp_path_factory: pytest.TempPathFactory, tables: dict[str, dict[str, Any]]
) -> None:
    """A file rewritten (a fold) gets its offsets from the documents in hand, byte for byte the ones
    reading it back and parsing it would make: empty tables, odd keys and documents that are not dicts
    included (those are refused when asked, as ever)."""
    path = tmp_path_factory.mktemp("fold") / "shard.json"
    offsets.sidecar(path).write_bytes(b"stale")  # the file has offsets: a write makes them anew
    DurableJSONStorage(path).write(tables)
    assert offsets.sidecar(path).read_bytes() == offsets.make(path, path.with_name("shard.json.log"))


def test_a_fold_writes_the_offsets_beside_its_file_without_reading_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """256 SMS shards fold within a few hundred texts: each then parsed again to make its offsets cost a
    text in that stretch a fifth more. The fold makes them from what it wrote; a file without offsets
    (small, never looked up by them) gets none."""
    path, small = tmp_path / "numbers.json", tmp_path / "small.json"
    writer = DurableJSONStorage(path)
    writer.write({"numbers": {f"+1202555{n:04}": {"n": n} for n in range(100)}})
    server = DurableJSONStorage(path)
    assert server.find_by_id("numbers", "+12025550007", check=lambda d: "n" in d, offsets_from=1) == {"n": 7}
    for n in range(30):
        writer.append("numbers", {f"+1202555{n:04}": {"n": -n}})
    monkeypatch.setattr(offsets, "make", lambda *args: pytest.fail("read back to make the offsets"))
    writer.write(writer.read() or {})  # the fold
    assert offsets.Offsets.read(path).header["journal"][1] == 0
    found = DurableJSONStorage(path).find_by_id("numbers", "+12025550007", check=lambda d: "n" in d, offsets_from=1)
    assert found == {"n": -7}
    assert server.find_by_id("numbers", "+12025550099", check=lambda d: "n" in d, offsets_from=1) == {"n": 99}
    DurableJSONStorage(small).write({"numbers": {}})
    assert not offsets.sidecar(small).exists()


def test_a_server_counts_the_lines_it_appends_without_reading_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server appends to the day, its number's shard and an id shard on every text, and looks them up
    on the next: it counts its own lines from what it wrote. Another process's lines are read."""
    path = tmp_path / "ids.json"
    DurableJSONStorage(path).write({"ids": {f"old-{n}": {"day": "2026-01-01"} for n in range(100)}})
    server = DurableJSONStorage(path)

    def find(key: str) -> dict[str, Any] | None:
        return server.find_by_id("ids", key, check=lambda entry: "day" in entry, offsets_from=1)

    assert find("old-1") == find("old-2") == {"day": "2026-01-01"}  # made, then asked again: following
    counted = []
    real = offsets.Tail._count_line
    monkeypatch.setattr(offsets.Tail, "_count_line", lambda self, *args: counted.append(args) or real(self, *args))
    for n in range(30):
        server.append("ids", {f"new-{n}": {"day": "2026-11-25"}, "old-7": {"day": f"changed {n}"}})
        assert find(f"new-{n}") == {"day": "2026-11-25"} and find("old-7") == {"day": f"changed {n}"}
    server.delete("ids", ["old-5"])
    assert find("old-5") is None and find("old-6") == {"day": "2026-01-01"}
    assert counted == []
    DurableJSONStorage(path).append("ids", {"theirs": {"day": "2026-11-26"}})  # another process
    server.append("ids", {"ours": {"day": "2026-11-27"}})
    assert find("theirs") == {"day": "2026-11-26"} and find("ours") == {"day": "2026-11-27"}
    assert len(counted) == 2  # theirs, and ours after it, read back
    everything = (DurableJSONStorage(path).read() or {})["ids"]
    assert {key: find(key) for key in everything} == everything
