"""Where each document of a large store file lies, so one is read without reading the file.

A day of 50,000 answers is a 15 MB file: a fresh process asked about one repeated id would read
and search all of it (17 ms) to parse one record. Beside such a file (``ratings/2026/2026-11-24.json``)
lies ``ratings/2026/.2026-11-24.json.at``: each document's key (by CRC-32) and where its newest
version lies, in the file or its journal, made from the bytes of one version of the two. A lookup
reads the sorted hashes (4 bytes a document, checked against their CRC) and one record; the journal
lines appended since are searched for the key (a day that is over has none), up to a bound.
The id index's shards have them from ``INDEX_FROM`` (32 KiB): every flag asks one for an id it has
never seen, and a shard grows with history (300 KB of UUIDs at three years), so searching it would
make each answer cost more every year.
:meth:`shared.storage.DurableJSONStorage.find_by_id` makes and writes them when it had to read a
large file whole.

Derived data, checked before it is trusted, never trusted in doubt: it names the (inode, size,
mtime) of the file and the journal it describes, so a file rewritten (a fold, a purge, a restore)
makes it stale; it is made only when every document is where its arithmetic says (the file and
each journal line are exactly what ``orjson`` writes for what they hold), and a record that is not
the one looked for means asking the file. Written durably (fsync before the rename), so a power cut
never leaves a complete-looking list that misses an id. It holds keys' hashes and byte offsets,
nothing a customer wrote. Not copied by a backup (it is not ``.json``): a restored folder makes new ones.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

OFFSETS_FROM = 1 << 20  # a file smaller than this is searched whole (reading 1 MB costs ~0.2 ms)
INDEX_FROM = 1 << 15  # an id index's shard this large is read by its offsets too (asked on every write)
TAIL_LEAST = 1 << 16  # journal bytes searched after the offsets before they are made anew, at the least
HEADER_MOST = 4096
_SLOT = struct.Struct("<QI")  # (offset << 1 | in the journal, length)
_META = "_meta"


class Unknown(Exception):
    """The offsets cannot answer (none, stale, damaged, or the journal grew too much): read the file."""


def sidecar(path: Path) -> Path:
    """The offsets of ``path``: hidden beside it, so no listing of ``*.json`` ever sees them."""
    return path.with_name(f".{path.name}.at")


def find(
    path: Path, journal: Path, table: str, key: str, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """The newest version of one document of ``table``, or None if there is none; raises :class:`Unknown`."""
    try:
        with open(sidecar(path), "rb") as opened, mmap.mmap(opened.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            end = mapped.find(b"\n", 0, HEADER_MOST)
            header = orjson.loads(mapped[:end])
            if header["table"] != table or header["file"] != _stat(path):
                raise Unknown("stale")
            found = newest_in_journal(_journal_tail(journal, header), header["generation"], table, key)
            if found is not None:
                return found[0]
            count = int(header["count"])
            slots = end + 1 + 4 * count
            if len(mapped) != slots + _SLOT.size * count:
                raise Unknown("short")
            with memoryview(mapped)[end + 1 : slots] as block, block.cast("I") as hashes:
                wanted = zlib.crc32(key.encode())
                at = bisect_left(hashes, wanted)
                if at < count and hashes[at] == wanted:
                    place, length = _SLOT.unpack_from(mapped, slots + _SLOT.size * at)
                    document = orjson.loads(_read_at(journal if place & 1 else path, place >> 1, length))
                    if (at + 1 < count and hashes[at + 1] == wanted) or not isinstance(document, dict):
                        raise Unknown("two keys of one hash")  # rare: the file tells which
                    if not check(document):
                        raise Unknown("not the document")  # a damaged place, or another key of its hash
                    return document
                if zlib.crc32(block) != header["hashes"]:  # a document found is checked; "not there" is not
                    raise Unknown("damaged")  # a hash lost would say "not there" of a document that is
            return None
    except (OSError, ValueError, KeyError, TypeError, struct.error):
        raise Unknown("unreadable") from None


def make(path: Path, journal: Path, table: str) -> bytes | None:
    """The offsets of ``path`` and its journal as they are now (read under the store's lock), or None
    when the bytes are not exactly what the arithmetic expects (lookups then read the file)."""
    file_stat, journal_stat = _stat(path), _stat(journal)
    try:
        content = path.read_bytes()
        logged = journal.read_bytes() if journal_stat[0] else b""
    except OSError:
        return None
    if file_stat != _stat(path) or journal_stat != _stat(journal):
        return None
    made = _places(content, logged, table)
    if made is None:
        return None
    generation, places = made
    ordered = sorted((zlib.crc32(key.encode()), slot) for key, slot in places.items())
    # Where the next line will start: a torn last piece is cut before it is written.
    whole = logged.rfind(b"\n") + 1
    header = {"table": table, "file": file_stat, "journal": journal_stat, "whole": whole, "generation": generation}
    hashes = array("I", (hashed for hashed, _ in ordered)).tobytes()
    slots = b"".join(_SLOT.pack(*slot) for _, slot in ordered)
    return orjson.dumps({**header, "count": len(ordered), "hashes": zlib.crc32(hashes)}) + b"\n" + hashes + slots


def _places(content: bytes, logged: bytes, table: str) -> tuple[int, dict[str, tuple[int, int]]] | None:
    """The file's generation, and where each document of ``table`` lies: ``(offset << 1 | journal, length)``."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or orjson.dumps(data) != content:
        return None  # not the compact form these offsets are counted in
    generation = data.get(_META, {}).get("file", {}).get("generation", 0)
    places: dict[str, tuple[int, int]] = {}
    position = 1  # after the file's "{"
    for name, documents in data.items():
        if not isinstance(documents, dict):
            return None
        position += len(orjson.dumps(name)) + 1  # "name":
        if name == table:
            _count(documents, position + 1, places, 0)
        position += len(orjson.dumps(documents)) + 1  # the table, then "," or the file's "}"
    for line, start in _lines(logged):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(entry, dict) or orjson.dumps(entry) != line:
            return None
        if entry.get("g") != generation:
            continue  # a line replay ignores
        if "t" not in entry or "x" in entry or set(entry) - {"w"} != {"g", "t", "d"}:  # w: the log's tag, last
            if entry.get("t") == table or any(part[0] == table for part in entry.get("m", [])):
                return None  # deletions and multi-table lines are not counted: read the file
            continue
        if entry["t"] != table or not isinstance(entry["d"], dict):
            continue
        prefix = b'{"g":' + orjson.dumps(entry["g"]) + b',"t":' + orjson.dumps(entry["t"]) + b',"d":{'
        if not line.startswith(prefix):
            return None
        _count(entry["d"], start + len(prefix), places, 1)
    return generation, places


def _count(documents: dict[str, Any], position: int, places: dict[str, tuple[int, int]], journal: int) -> None:
    """Note where each document starts (``position`` is just after its table's "{")."""
    for key, document in documents.items():
        position += len(orjson.dumps(key)) + 1  # "key":
        length = len(orjson.dumps(document))
        places[key] = (position << 1 | journal, length)
        position += length + 1  # the document, then "," or "}"


def _lines(logged: bytes) -> list[tuple[bytes, int]]:
    """The journal's complete lines and where each starts (a torn last piece was never acknowledged)."""
    lines, start = [], 0
    while (end := logged.find(b"\n", start)) >= 0:
        lines.append((logged[start:end], start))
        start = end + 1
    return lines


def _journal_tail(journal: Path, header: dict[str, Any]) -> bytes:
    """The journal's lines appended since the offsets were made (raises :class:`Unknown` if it was cut or
    replaced, or grew past ``TAIL_LEAST`` and an eighth of the file: every lookup searches these bytes,
    so they are bounded, and making the offsets anew, once, costs a read of the file).

    An id shard of years (300 KB) gains a line a flag: its lookups search at most 64 KiB of them
    however long the history. A busy day of 15 MB is searched up to 2 MB before it is read again.
    """
    now, then, whole = _stat(journal), header["journal"], int(header["whole"])
    if now == then:
        return b""
    if then[0] and (now[0] != then[0] or now[1] < whole):
        raise Unknown("journal replaced")
    if now[1] - whole > max(TAIL_LEAST, header["file"][1] // 8):
        raise Unknown("journal grew")
    return _read_at(journal, whole, now[1] - whole)


def newest_in_journal(tail: bytes, generation: int, table: str, key: str) -> tuple[dict[str, Any] | None] | None:
    """The key's newest version in journal lines of ``generation``: ``(document or None if deleted,)``, or None
    if they do not mention it (raises ``ValueError``, ``KeyError`` or ``TypeError`` for a damaged line)."""
    needle = orjson.dumps(key)
    if needle not in tail:
        return None
    found: tuple[dict[str, Any] | None] | None = None
    for line, _ in _lines(tail):
        if needle not in line:
            continue
        entry = orjson.loads(line)
        if entry["g"] != generation:
            continue
        parts = entry["m"] if "m" in entry else [[entry["t"], entry["d"], entry.get("x", [])]]
        for name, documents, deleted in parts:
            if name != table:
                continue
            if key in documents:
                found = (documents[key],)
            if key in deleted:
                found = (None,)
    return found


def _read_at(path: Path, offset: int, length: int) -> bytes:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        content = os.pread(descriptor, length, offset)
    finally:
        os.close(descriptor)
    if len(content) != length:
        raise Unknown("short")
    return content


def _stat(path: Path) -> list[int]:
    try:
        stat = os.stat(path)
    except OSError:
        return [0, 0, 0]
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]
