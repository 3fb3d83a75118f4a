"""Every change is one journal line: upserts and deletions by key, replayed after a crash, folded now and then."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shared import storage
from shared.storage import DurableJSONStorage

ROOT = Path(__file__).resolve().parents[2]


def reopened(path: Path) -> dict[str, dict[str, object]]:
    return DurableJSONStorage(path).read() or {}


def test_deletions_are_journal_lines_replayed_in_order_with_upserts(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    writer = DurableJSONStorage(path)
    writer.append("followups", {"a": {"n": 1}, "b": {"n": 2}})  # makes the file
    inode = path.stat().st_ino
    writer.delete("followups", ["a", "never-there"])
    writer.append("followups", {"a": {"n": 3}})
    writer.delete("followups", ["b"])
    assert path.stat().st_ino == inode, "a deletion rewrote the file"
    assert path.with_name("queue.json.log").read_bytes().count(b"\n") == 3
    assert reopened(path) == {"followups": {"a": {"n": 3}}}


def test_one_line_changes_several_tables_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shard.json"
    writer = DurableJSONStorage(path)
    writer.append("numbers", {"+1": {"state": "old"}, "+2": {"state": "idle"}})
    writer.change({"numbers": ({"+1": {"state": "new"}}, ["+2"]), "messages": ({"+1 SM1": {"body": "hi"}}, [])})
    assert path.with_name("shard.json.log").read_bytes().count(b"\n") == 1
    assert reopened(path) == {"numbers": {"+1": {"state": "new"}}, "messages": {"+1 SM1": {"body": "hi"}}}


def test_a_reader_catches_up_with_deletions_by_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    writer, reader = DurableJSONStorage(path), DurableJSONStorage(path)
    writer.append("followups", {"a": {"n": 1}})
    writer.append("followups", {"b": {"n": 2}})
    assert reader.read() == {"followups": {"a": {"n": 1}, "b": {"n": 2}}}
    writer.delete("followups", ["a"])
    reader.stale()
    assert reader.read() == {"followups": {"b": {"n": 2}}}


def test_a_torn_deletion_was_never_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    DurableJSONStorage(path).append("followups", {"a": {"n": 1}})
    DurableJSONStorage(path).append("followups", {"b": {"n": 2}})
    with path.with_name("queue.json.log").open("ab") as torn:
        torn.write(b'{"g":1,"t":"followups","d":{},"x":["a"')  # a writer killed mid-append
    assert reopened(path) == {"followups": {"a": {"n": 1}, "b": {"n": 2}}}
    DurableJSONStorage(path).delete("followups", ["b"])
    assert reopened(path) == {"followups": {"a": {"n": 1}}}


def test_folding_waits_until_the_journal_is_as_large_as_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "COMPACT_AFTER", 2)
    path = tmp_path / "queue.json"
    writer = DurableJSONStorage(path)
    writer.append("followups", {f"f{n}": {"text": "x" * 100} for n in range(50)})  # a file of ~6 kB
    journal = path.with_name("queue.json.log")
    for n in range(10):  # many changes, but a small journal beside a large file: not folded yet
        writer.delete("followups", [f"f{n}"])
    assert journal.stat().st_size > 0
    while journal.stat().st_size > 0:  # folded as soon as the journal has grown as large as the file
        writer.append("followups", {"more": {"text": "y" * 500}})
        assert journal.stat().st_size <= 2 * path.stat().st_size
    assert set(reopened(path)["followups"]) == {f"f{n}" for n in range(10, 50)} | {"more"}


def test_compact_leaves_no_trace_of_deleted_documents_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "shard.json"
    writer = DurableJSONStorage(path)
    writer.append("messages", {"m1": {"body": "private words"}, "m2": {"body": "kept"}})
    writer.delete("messages", ["m1"])
    writer.compact()
    on_disk = path.read_bytes() + path.with_name("shard.json.log").read_bytes()
    assert b"private words" not in on_disk and b"kept" in on_disk


KILLED_WRITER = """
import sys
from pathlib import Path
from shared.storage import DurableJSONStorage
writer = DurableJSONStorage(Path(sys.argv[1]))
number = 0
while True:
    key = f"k{number}"
    writer.append("t", {key: {"pad": "x" * 2000}})
    print("ack", "put", key, flush=True)
    if number % 3 == 2:
        writer.delete("t", [f"k{number - 1}"])
        print("ack", "del", f"k{number - 1}", flush=True)
    number += 1
"""


@pytest.mark.parametrize("compact_after", ["512", "7"])
def test_sigkill_mid_write_loses_no_acknowledged_upsert_or_deletion(tmp_path: Path, compact_after: str) -> None:
    path = tmp_path / "data.json"
    script = f"import shared.storage as s; s.COMPACT_AFTER = {compact_after}\n" + KILLED_WRITER
    writer = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert writer.stdout is not None
    acknowledged: list[tuple[str, str]] = []
    for line in writer.stdout:
        acknowledged.append(tuple(line.split()[1:]))  # type: ignore[arg-type]
        if len(acknowledged) >= 200:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    acknowledged.extend(tuple(line.split()[1:]) for line in writer.stdout.read().splitlines())  # type: ignore[misc]
    present = set(reopened(path).get("t", {}))
    for action, key in acknowledged:
        if action == "del":
            assert key not in present, f"{key} came back after its acknowledged deletion"
    deleted = {key for action, key in acknowledged if action == "del"}
    assert {key for action, key in acknowledged if action == "put"} - deleted <= present
    DurableJSONStorage(path).append("t", {"after": {"n": 1}})  # and the store goes on from there
    assert "after" in reopened(path)["t"]
