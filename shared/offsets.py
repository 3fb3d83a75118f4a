"""Where each document of a large store file lies, so one is read without reading the file.

A day of 50,000 answers is a 15 MB file: a fresh process asked about one repeated id would read
and search all of it (17 ms) to parse one record. Beside such a file (``ratings/2026/2026-11-24.json``)
lies ``ratings/2026/.2026-11-24.json.at``: each document's table and key (by CRC-32) and where its
newest version lies, in the file or its journal, made from the bytes of one version of the two. A lookup
reads the sorted hashes (4 bytes a document, checked against their CRC) and one record; the journal
lines appended since are searched for the key (a day that is over has none), up to a bound. A process
that asks a file again (a server, on every text) keeps what it read (:class:`Reader`): the sidecar,
and where the lines after it put each document (:class:`Tail`).
The id index's shards and the SMS numbers' shards have them from ``INDEX_FROM`` (32 KiB): every flag
asks one for an id it has never seen, every text its number's shard three times, and a shard grows
with history (300 KB of UUIDs at three years), so searching it would make each answer cost more
every year. Their journals' lines may change two tables at once (a number and its message) or delete
documents: both are counted.
:meth:`shared.storage.DurableJSONStorage.find_by_id` makes and writes them when it had to read a
large file whole.

Derived data, checked before it is trusted, never trusted in doubt: it names the (inode, size,
mtime) of the file and the journal it describes, so a file rewritten (a fold, a purge, a restore)
makes it stale; it is made only when every document is where its arithmetic says (the file and
each journal line are exactly what ``orjson`` writes for what they hold), and a record that is not
the one looked for means asking the file. Written without an fsync (two per sidecar, and a day's
fold of hundreds of shards makes hundreds): a power cut may leave one empty, short or zeroed, and
each of those is refused (its length, its hashes' CRC before any "not there", each record's check),
so it never passes for a list that misses an id; it is made anew. Made from the documents in hand
when a file that has them is rewritten (:func:`written`), not read back. It holds keys' hashes and byte offsets,
nothing a customer wrote. Not copied by a backup (it is not ``.json``): a restored folder makes new ones.
"""

from __future__ import annotations

import contextlib
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
INDEX_FROM = 1 << 15  # a shard this large (of the id index, of SMS numbers: asked on every write) has offsets too
EVERY_TABLE = "*"  # the header's mark of offsets that cover every table of their file
TAIL_LEAST = 1 << 16  # journal bytes searched after the offsets before they are made anew, at the least
HEADER_MOST = 4096
MAPPED_FROM = 1 << 18  # a sidecar this large (a day of 21,000 answers) is mapped, not read (see Offsets.read)
_SLOT = struct.Struct("<QI")  # (offset << 1 | in the journal, length)
_META = "_meta"


class Unknown(Exception):
    """The offsets cannot answer (none, stale, damaged, or the journal grew too much): read the file."""


def sidecar(path: Path) -> Path:
    """The offsets of ``path``: hidden beside it, so no listing of ``*.json`` ever sees them."""
    return path.with_name(f".{path.name}.at")


class Tail:
    """The journal lines appended after a file's offsets were made, as one process has read them: where
    each document's newest version there lies, by ``(table, key)``. Each line is read and counted once,
    when a lookup (not the first: a process that asks once only searches) finds it appended, so a lookup
    in a busy day's file (a text updating its own answer of hours ago) costs the same at its 50,000th
    answer as at its first. Once it has caught up, the offsets need not be made anew as the journal
    grows, only when the file is rewritten (a fold, as the journal reaches the file's size): a server
    made those of its day's 15 MB again every few thousand texts. Places, not documents: a day's lines
    cost memory by the thousand keys, not by the megabyte (a line not in the compact form the
    arithmetic needs keeps its documents).
    """

    ENTRY_COST = 200  # bytes of memory a place takes (its key, its tuple, the dict's slot)

    def __init__(self) -> None:
        self.made: tuple[Any, ...] = ()  # the offsets these lines follow (others: read afresh)
        self.read_to = 0  # where the next unread line starts
        self.places: dict[tuple[str, str], tuple[int, int] | dict[str, Any] | None] = {}
        self.asked = False  # whether a lookup after these offsets came before (the first one searches)

    def lookup(
        self, journal: Path, header: dict[str, Any], table: str, key: str, seen: list[int] | None = None
    ) -> tuple[dict[str, Any] | None] | None:
        """``(document or None if deleted,)`` if the lines after the offsets name the key, else None. ``seen``:
        the journal's (inode, size, mtime) as the caller has just read it (else read here)."""
        made = (tuple(header["file"]), tuple(header["journal"]), header["whole"], header["generation"])
        whole = int(header["whole"])
        if made != self.made:
            self.made, self.read_to, self.places, self.asked = made, whole, {}, False
        if not self.asked:
            # The first lookup searches the lines, as a lookup without a Tail does: a process asking once (a
            # duplicate check, a flag's new id in one shard of 256) parses only the lines that name the key.
            self.asked = True
            return _search_tail(journal, header, table, key, seen)
        # Asked again, it counts them. Caught up once, it follows the journal as far as a journal goes
        # before it is folded (one to two times the file's size); a first reading is bounded as a search is, so a
        # process never parses megabytes of lines at once (it makes the offsets anew).
        following = self.read_to > whole
        most = 3 * max(TAIL_LEAST, header["file"][1]) if following else None
        now = _journal_bounds(journal, header, most, seen)
        if now[1] < self.read_to:  # lines read here were cut since (a failed transaction's): read again
            self.read_to, self.places = whole, {}
        if now[1] > self.read_to:
            appended = _read_at(journal, self.read_to, now[1] - self.read_to)
            for line, start in _lines(appended):  # a torn last piece was never acknowledged
                self._count_line(line, self.read_to + start, header["generation"])
            self.read_to += appended.rfind(b"\n") + 1
        place = self.places.get((table, key), _ABSENT)
        if place is _ABSENT:
            return None
        if isinstance(place, tuple):
            document = orjson.loads(_read_at(journal, place[0] >> 1, place[1]))
            if not isinstance(document, dict):
                raise Unknown("not the document")
            return (document,)
        return (place,)

    def note(self, entry: dict[str, Any], line: bytes, start: int) -> None:
        """Count a line this process has just appended at ``start``, from the ``entry`` it wrote as ``line``
        (its ``orjson`` bytes and newline), not read back and parsed (a server counts its own day's,
        shard's and id shard's lines: 20 us each read back). Only when every line before it was counted
        here; else the next lookup reads them all, this one with them."""
        if not self.made or self.read_to != start or entry.get("g") != self.made[3]:
            return
        parts = _parts_of(entry, line[:-1])
        if parts is None:
            return
        self._count_parts(parts, start)
        self.read_to = start + len(line)

    @property
    def cost(self) -> int:
        return self.ENTRY_COST * len(self.places)

    def _count_line(self, line: bytes, start: int, generation: int) -> None:
        entry = orjson.loads(line)
        if entry["g"] != generation:
            return  # a line replay ignores
        parts = _parts_of(entry, line) if orjson.dumps(entry) == line else None
        if parts is None:  # not the compact form: its documents are kept, not their places
            for name, documents, deleted in changes_in(entry):
                self.places.update({(name, changed): document for changed, document in documents.items()})
                self.places.update({(name, gone): None for gone in deleted})
            return
        self._count_parts(parts, start)

    def _count_parts(self, parts: list[tuple[str, dict[str, Any], list[str], int]], start: int) -> None:
        """Note where each document of a line starting at ``start`` lies, and which keys it deleted."""
        for name, documents, deleted, at in parts:
            _count(name, documents, start + at, self.places, 1)  # type: ignore[arg-type]
            self.places.update({(name, gone): None for gone in deleted})  # after the upserts, as replay


_ABSENT = object()


class Offsets:
    """One sidecar as read: its header, its hashes (their CRC checked once) and its slots."""

    def __init__(self, content: bytes | mmap.mmap) -> None:
        end = content.find(b"\n", 0, HEADER_MOST)
        try:
            self.header: dict[str, Any] = orjson.loads(content[:end])
            count = int(self.header["count"])
            slots = end + 1 + 4 * count
            if end < 0 or len(content) != slots + _SLOT.size * count:
                raise Unknown("short")
            if self.header.get("tables") != EVERY_TABLE:
                raise Unknown("of one table")  # as the offsets once were: made anew
        except (ValueError, KeyError, TypeError):
            raise Unknown("unreadable") from None
        self.hashes = memoryview(content)[end + 1 : slots].cast("I")
        self.slots = memoryview(content)[slots:]
        self.size = len(content)
        self.checked = False  # the hashes' CRC: checked before the first "not there" (a day's are 200 KB)

    @classmethod
    def read(cls, path: Path) -> Offsets:
        """The offsets beside ``path`` as they are on disk now (raises :class:`Unknown`). A large sidecar (a
        busy day's: 600 KB) is mapped, not read: a process asking once touches a few of its pages. Only a
        large one: a map keeps a file descriptor open while it is held, and a server holds hundreds."""
        try:
            with open(sidecar(path), "rb") as opened:
                if os.fstat(opened.fileno()).st_size < MAPPED_FROM:
                    return cls(opened.read())
                return cls(mmap.mmap(opened.fileno(), 0, access=mmap.ACCESS_READ))
        except (OSError, ValueError):
            raise Unknown("unreadable") from None

    def find(
        self,
        path: Path,
        journal: Path,
        table: str,
        key: str,
        check: Callable[[dict[str, Any]], bool],
        tail: Tail | None = None,
        seen: tuple[list[int], list[int]] | None = None,
    ) -> dict[str, Any] | None:
        """The newest version of one document of ``table``, or None if there is none; raises :class:`Unknown`.
        ``tail``: this process's reading of the lines after the offsets (without one, they are searched,
        up to :func:`_journal_bounds`). ``seen``: the file's and the journal's (inode, size, mtime) as the
        caller has just read them (a server's lookup stats each once, not twice)."""
        header = self.header
        try:
            if header["file"] != (seen[0] if seen is not None else _stat(path)):
                raise Unknown("stale")
            journal_now = None if seen is None else seen[1]
            if tail is not None:
                found = tail.lookup(journal, header, table, key, journal_now)
            else:
                found = _search_tail(journal, header, table, key, journal_now)
            if found is not None:
                return found[0]
            wanted = _hash(table, key)
            at = bisect_left(self.hashes, wanted)
            if at == len(self.hashes) or self.hashes[at] != wanted:
                if not self.checked and zlib.crc32(self.hashes) != header["hashes"]:
                    raise Unknown("damaged")  # a hash lost would say "not there" of a document that is
                self.checked = True
                return None
            place, length = _SLOT.unpack_from(self.slots, _SLOT.size * at)
            document = orjson.loads(_read_at(journal if place & 1 else path, place >> 1, length))
            if (at + 1 < len(self.hashes) and self.hashes[at + 1] == wanted) or not isinstance(document, dict):
                raise Unknown("two keys of one hash")  # rare: the file tells which
            if not check(document):
                raise Unknown("not the document")  # a damaged place, or another key of its hash
            return document
        except (OSError, ValueError, KeyError, TypeError, struct.error):
            raise Unknown("unreadable") from None


class Reader:
    """How one process looks documents up in one file by its offsets: the sidecar as it last read it, and
    the journal lines after it (:class:`Tail`). Kept while the sidecar's header still describes the file
    and its journal, so a lookup costs three stats and one read of the record, not an open, a map and a
    parse of the sidecar besides (half a lookup's time; a text makes about seven). A sidecar held
    after another process made a newer one is still right: made from an earlier state of a file that
    is unchanged and a journal that has only grown, its tail holds the rest."""

    def __init__(self, path: Path, journal: Path) -> None:
        self.path, self.journal = path, journal
        self.held: Offsets | None = None
        self.tail = Tail()

    def find(
        self,
        table: str,
        key: str,
        check: Callable[[dict[str, Any]], bool],
        seen: tuple[list[int], list[int]] | None = None,
    ) -> dict[str, Any] | None:
        """As :meth:`Offsets.find`; raises :class:`Unknown` when the sidecar on disk cannot answer either."""
        if self.held is not None:
            with contextlib.suppress(Unknown):
                return self.held.find(self.path, self.journal, table, key, check, self.tail, seen)
        self.held = None
        held = Offsets.read(self.path)
        found = held.find(self.path, self.journal, table, key, check, self.tail, seen)
        self.held = held
        return found

    def hold(self, content: bytes) -> None:
        """Keep the sidecar this process has just written (``content``): the next lookup reads nothing back."""
        self.held = Offsets(content)

    @property
    def cost(self) -> int:
        """Bytes of memory held: the sidecar and the places of the lines after it."""
        return (self.held.size if self.held is not None else 0) + self.tail.cost


def changes_in(entry: dict[str, Any]) -> list[list[Any]]:
    """A journal line's changes: ``[table, upserted documents, deleted keys]`` for each table it changes."""
    return entry["m"] if "m" in entry else [[entry["t"], entry["d"], entry.get("x", [])]]


def find(
    path: Path,
    journal: Path,
    table: str,
    key: str,
    check: Callable[[dict[str, Any]], bool],
    tail: Tail | None = None,
) -> dict[str, Any] | None:
    """As :meth:`Offsets.find`, by the offsets on disk now (a process that holds none: a check, a test)."""
    return Offsets.read(path).find(path, journal, table, key, check, tail)


def make(path: Path, journal: Path) -> bytes | None:
    """The offsets of every table of ``path`` and its journal as they are now (read under the store's lock),
    or None when the bytes are not exactly what the arithmetic expects (lookups then read the file).

    Every table, not only the one asked: a text asks its number's shard for the number, the message
    and the day's sweep mark, and offsets of one table would be made anew for each in turn."""
    file_stat, journal_stat = _stat(path), _stat(journal)
    try:
        content = path.read_bytes()
        logged = journal.read_bytes() if journal_stat[0] else b""
    except OSError:
        return None
    if file_stat != _stat(path) or journal_stat != _stat(journal):
        return None
    made = _places(content, logged)
    if made is None:
        return None
    generation, places = made
    # Where the next line will start: a torn last piece is cut before it is written.
    return _sidecar(places, generation, file_stat, journal_stat, logged.rfind(b"\n") + 1)


def written(data: dict[str, Any], file_stat: list[int], journal_stat: list[int]) -> bytes | None:
    """The offsets of a file just written as exactly ``orjson.dumps(data)`` (``_meta`` included), its journal
    empty: made from the documents in hand, where :func:`make` reads the file back and parses it (a fold
    of a day of 50,000 answers, or of each of 256 SMS shards, would parse what it has just written)."""
    generation = data.get(_META, {}).get("file", {}).get("generation", 0)
    places = _file_places(data)
    return None if places is None else _sidecar(places, generation, file_stat, journal_stat, 0)


def _sidecar(
    places: dict[tuple[str, str], tuple[int, int]],
    generation: int,
    file_stat: list[int],
    journal_stat: list[int],
    whole: int,
) -> bytes:
    """The sidecar's bytes: its header line, the sorted hashes, then each hash's slot."""
    ordered = sorted((_hash(table, key), slot) for (table, key), slot in places.items())
    header = {
        "tables": EVERY_TABLE,
        "file": file_stat,
        "journal": journal_stat,
        "whole": whole,
        "generation": generation,
    }
    hashes = array("I", (hashed for hashed, _ in ordered)).tobytes()
    slots = b"".join(_SLOT.pack(*slot) for _, slot in ordered)
    return orjson.dumps({**header, "count": len(ordered), "hashes": zlib.crc32(hashes)}) + b"\n" + hashes + slots


def _hash(table: str, key: str) -> int:
    """A document's hash in the offsets: its key's CRC-32, continued from its table's name."""
    return zlib.crc32(key.encode(), zlib.crc32(table.encode() + b"\0"))


def _places(content: bytes, logged: bytes) -> tuple[int, dict[tuple[str, str], tuple[int, int]]] | None:
    """The file's generation, and where each document of each table lies: ``(offset << 1 | journal, length)``
    by ``(table, key)`` (not the file's own ``_meta``)."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or orjson.dumps(data) != content:
        return None  # not the compact form these offsets are counted in
    generation = data.get(_META, {}).get("file", {}).get("generation", 0)
    places = _file_places(data)
    if places is None:
        return None
    for line, start in _lines(logged):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(entry, dict) or orjson.dumps(entry) != line:
            return None
        if entry.get("g") != generation:
            continue  # a line replay ignores
        parts = _parts_of(entry, line)
        if parts is None:
            return None
        for name, documents, deleted, at in parts:
            _count(name, documents, start + at, places, 1)
            for key in deleted:  # after the upserts, as a replay applies them
                places.pop((name, key), None)
    return generation, places


def _file_places(data: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]] | None:
    """Where each document of each table lies in ``orjson.dumps(data)`` (not ``_meta``'s); None if a table
    is not a dict."""
    places: dict[tuple[str, str], tuple[int, int]] = {}
    position = 1  # after the file's "{"
    for name, documents in data.items():
        if not isinstance(documents, dict):
            return None
        position += len(orjson.dumps(name)) + 1  # "name":
        if name == _META:
            position += len(orjson.dumps(documents)) + 1  # the table, then "," or the file's "}"
        else:
            position = _count(name, documents, position + 1, places, 0) + 1
    return places


def _parts_of(entry: dict[str, Any], line: bytes) -> list[tuple[str, dict[str, Any], list[str], int]] | None:
    """A journal line's changes, each with where its documents start in the line (just after their "{"):
    ``{"g":..,"t":..,"d":{..},"x":[..]}`` or ``{"g":..,"m":[[table,{..},[..]],..]}``, with the log's tag ``w``
    last; None for any other shape (the offsets are then not made: the file is read)."""
    shape = set(entry) - {"w"}
    head = b'{"g":' + orjson.dumps(entry.get("g"))
    if shape in ({"g", "t", "d"}, {"g", "t", "d", "x"}):
        table, documents, deleted = entry["t"], entry["d"], entry.get("x", [])
        prefix = head + b',"t":' + orjson.dumps(table) + b',"d":{'
        if not (isinstance(table, str) and isinstance(documents, dict) and isinstance(deleted, list)):
            return None
        return [(table, documents, deleted, len(prefix))] if line.startswith(prefix) else None
    if shape != {"g", "m"} or not isinstance(entry["m"], list) or not line.startswith(head + b',"m":['):
        return None
    parts, position = [], len(head) + len(b',"m":[')  # where the first part's "[" is
    for part in entry["m"]:
        if not (isinstance(part, list) and len(part) == 3 and isinstance(part[0], str)):
            return None
        table, documents, deleted = part
        if not (isinstance(documents, dict) and isinstance(deleted, list)):
            return None
        at = position + 1 + len(orjson.dumps(table)) + 2  # after '["table",{'
        if line[at - 2 : at] != b",{":
            return None
        parts.append((table, documents, deleted, at))
        position += len(orjson.dumps(part)) + 1  # the part, then "," or "]"
    return parts


def _count(
    table: str,
    documents: dict[str, Any],
    position: int,
    places: dict[tuple[str, str], tuple[int, int]],
    journal: int,
) -> int:
    """Note where each document of ``table`` starts (``position`` is just after the table's "{"); where the
    table ends (just after its "}")."""
    if not documents:
        return position + 1
    for key, document in documents.items():
        position += len(orjson.dumps(key)) + 1  # "key":
        length = len(orjson.dumps(document))
        places[table, key] = (position << 1 | journal, length)
        position += length + 1  # the document, then "," or "}"
    return position


def _lines(logged: bytes) -> list[tuple[bytes, int]]:
    """The journal's complete lines and where each starts (a torn last piece was never acknowledged)."""
    lines, start = [], 0
    while (end := logged.find(b"\n", start)) >= 0:
        lines.append((logged[start:end], start))
        start = end + 1
    return lines


def _search_tail(
    journal: Path, header: dict[str, Any], table: str, key: str, seen: list[int] | None = None
) -> tuple[dict[str, Any] | None] | None:
    """The key's newest version in the lines after the offsets, searched (see :func:`newest_in_journal`)."""
    return newest_in_journal(_journal_tail(journal, header, seen), header["generation"], table, key)


def _journal_tail(journal: Path, header: dict[str, Any], seen: list[int] | None = None) -> bytes:
    """The journal's lines appended since the offsets were made (raises :class:`Unknown`: see
    :func:`_journal_bounds`)."""
    now, whole = _journal_bounds(journal, header, seen=seen), int(header["whole"])
    return b"" if now == header["journal"] else _read_at(journal, whole, now[1] - whole)


def _journal_bounds(
    journal: Path, header: dict[str, Any], most: int | None = None, seen: list[int] | None = None
) -> list[int]:
    """The journal's (inode, size, mtime) now; raises :class:`Unknown` if it was cut or replaced since the
    offsets were made, or grew past ``most`` bytes since, by default ``TAIL_LEAST`` and an eighth of the
    file: a lookup without a :class:`Tail` searches those lines, so they are bounded, and making the
    offsets anew, once, costs a read of the file. (A Tail that has caught up reads each line once: it
    allows three times the file's size; a journal is folded, the file rewritten, by twice.)

    An id shard of years (300 KB) gains a line a flag: its lookups search at most 64 KiB of them
    however long the history. A busy day of 15 MB is read up to 2 MB on before it is read again.
    """
    now, then, whole = seen if seen is not None else _stat(journal), header["journal"], int(header["whole"])
    if now != then and then[0] and (now[0] != then[0] or now[1] < whole):
        raise Unknown("journal replaced")
    if now[1] - whole > (max(TAIL_LEAST, header["file"][1] // 8) if most is None else most):
        raise Unknown("journal grew")
    return now


def newest_in_journal(tail: bytes, generation: int, table: str, key: str) -> tuple[dict[str, Any] | None] | None:
    """The key's newest version in journal lines of ``generation``: ``(document or None if deleted,)``, or None
    if they do not mention it (raises ``ValueError``, ``KeyError`` or ``TypeError`` for a damaged line).

    Searched from the end: only the lines that name the key are parsed, newest first (a text's own
    number, written a moment ago, is in the last lines of a journal of hundreds)."""
    needle = orjson.dumps(key)
    whole = tail.rfind(b"\n") + 1  # a torn last piece was never acknowledged
    at = tail.rfind(needle, 0, whole)
    while at >= 0:
        start = tail.rfind(b"\n", 0, at) + 1
        entry = orjson.loads(tail[start : tail.index(b"\n", at)])
        if entry["g"] == generation:
            found: tuple[dict[str, Any] | None] | None = None
            for name, documents, deleted in changes_in(entry):
                if name == table and key in documents:
                    found = (documents[key],)
                if name == table and key in deleted:
                    found = (None,)
            if found is not None:
                return found
        at = tail.rfind(needle, 0, start)
    return None


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
