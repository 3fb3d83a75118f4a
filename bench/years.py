"""The store after a year of use, beside SQLite (WAL, synchronous=FULL) on the same data, in the same run.

A year is written directly as files, as the store writes them (each ends with its generation): 1,000
answers a day for 365 days with UUIDs for ids, as kiosks make them, a tenth of them unmet with a
follow-up (most resolved, archived by month), the id index, and SMS traffic from returning numbers.
SQLite gets the same rows. Before the flags, each shard of the id index is asked once, as a running
shop's answers have long done (a lookup makes what the index lacks: its offsets), and SQLite is asked
the same ids. Then each
operation is timed on both and printed as a ratio (this store / SQLite):

- a flag (an unmet answer: index, queue, day, summary) with 0 / 5,000 / 20,000 open follow-ups;
- a resolve with 0 / 10,000 / 30,000 follow-ups already resolved this month;
- a text (through the real responder) from a number with 0 / 100 / 1,000 earlier messages,
  and the disk bytes each text adds; SQLite's side reads the number and the reply as the
  responder does first (the same code), then makes its writes;
- a duplicate check in a fresh process, with 50,000 answers that day;
- the wait of a process that collides with another holding the lock for 1 ms;
- texts per second over N texts from many numbers, at the start and at the end, and this
  process's resident memory (as a server's) after the first tenth and at the end.

The two sides of each operation are timed in turns (one of ours, one of SQLite's), so a disk busy
for a while slows both alike. Then the long commands, each in its own process beside SQLite doing
the same on the same rows: ``feedback purge`` (the first, erasing comments older than 90 days, and
the daily one with nothing to erase), ``feedback export`` (JSON, CSV), ``feedback report`` over the
whole history, and the first report after restoring a copy (every day recounted): wall time, peak
memory (the child's own ``VmHWM``), the kiosk-tap and text latencies (p99 and max) of a second process
recording one every 10 ms meanwhile, and the longest the command held the store's lock at a stretch
(a tap or text max well above it waited for the disk, not the lock: its fsync behind write-back).

Targets (issue 12): every operation within 3x SQLite; texts/s at the end >= 90 % of the start;
memory growth <= 25 %; disk per text bounded by its size plus a constant; long commands' memory flat in history
(<= 100 MiB at three years); taps and texts p99 <= 100 ms while a long command runs, which holds the lock
~50 ms at most at a stretch.

    python bench/years.py [--texts 1000] [--repeat 40] [--dir /tmp] [--days 365] [--long-only | --ops-only]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import phonenumbers

from shared.config import load_config
from shared.followups import FollowUp, Resolution
from shared.phones import read_phone
from shared.ratings import Channel, Outcome, Rating
from shared.store import FOLLOWED_UP, FOLLOWUP_IDS, FOLLOWUP_INDEX_START, ID_SHARDS, INDEX_START, FeedbackStore
from sms.records import NUMBER_SHARDS, shard_name
from sms.replies import parse_reply
from sms.responder import Inbound, Responder
from sms.settings import load_sms_config

ROOT = Path(__file__).resolve().parents[1]
PER_DAY = 1_000
DAYS = 365
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TEXT = "the queue was long and nobody said hello " * 3  # ~120 characters
PRAISE = "the coffee was hot and the staff were quick and kind " * 2  # what follows a 3 must agree with it


def rating_record(rating_id: str, ts: datetime, outcome: Outcome) -> dict[str, object]:
    return Rating(
        id=rating_id,
        ts=ts,
        channel=Channel.KIOSK,
        outcome=outcome,
        station="front",
        staff="ann",
        reasons=("wait time",) if outcome is Outcome.BELOW else (),
        comment="the queue was long" if outcome is Outcome.BELOW else "",
        received=ts,
    ).to_record()


def followup_record(rating_id: str, ts: datetime, resolved: datetime | None) -> dict[str, object]:
    rating = Rating(id=rating_id, ts=ts, channel=Channel.KIOSK, outcome=Outcome.BELOW, station="front", staff="ann")
    followup = FollowUp.for_rating(rating, now=ts)
    if resolved is not None:
        followup = followup.resolve(Resolution.APOLOGISED, resolved, by="dee", note="called back")
    return followup.to_record()


def valid_numbers(prefix: str) -> Iterator[str]:
    """Numbers the responder accepts (``+1202...`` is Washington, DC; not every ending is valid)."""
    for index in itertools.count():
        number = f"+1{prefix}{3_000_000 + index:07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            yield number


def uuid_like(label: str) -> str:
    """A UUID4 as kiosks make ids, the same for the same label in every run."""
    return str(uuid.UUID(bytes=hashlib.blake2b(label.encode(), digest_size=16).digest(), version=4))


def write_json(path: Path, tables: dict[str, object]) -> None:
    """A store file as the store leaves one after folding its journal: its tables, then its generation, and
    beside it its journal, emptied (a year-old shard has had many writes; its first one here must not pay
    for making the journal, 0.5 ms on this disk, as a flag's first write into each of 256 shards did)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({**tables, "_meta": {"file": {"generation": 1}}}))
    path.with_name(path.name + ".log").write_bytes(b"")


class Year:
    """A year of data written into a store folder and a SQLite file, row for row."""

    def __init__(self, base: Path) -> None:
        self.root = base / "store"
        self.sqlite_path = base / "sqlite.db"
        self.db = sqlite3.connect(self.sqlite_path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        for table in ("ratings", "followups", "numbers"):
            self.db.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY, day TEXT, status TEXT, record BLOB)")
        self.db.execute("CREATE TABLE messages (phone TEXT, sid TEXT, at TEXT, record BLOB, PRIMARY KEY (phone, sid))")
        self.db.execute("CREATE TABLE summaries (day TEXT PRIMARY KEY, record BLOB)")

    def write(self) -> None:
        ids: dict[str, dict[str, dict[str, str]]] = {}
        archive: dict[str, dict[str, object]] = {}
        self.db.execute("BEGIN")
        for offset in range(DAYS, 0, -1):
            day = (NOW - timedelta(days=offset)).date()
            ts = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            records = {}
            for n in range(PER_DAY):
                rating_id = uuid_like(f"h{offset}-{n}")
                below = n % 10 == 0
                records[rating_id] = rating_record(rating_id, ts, Outcome.BELOW if below else Outcome.MET)
                ids.setdefault(f"{zlib.crc32(rating_id.encode()) % ID_SHARDS:03d}", {})[rating_id] = {
                    "day": day.isoformat(),
                    FOLLOWED_UP: int(below),
                }
                if below and offset > 2:  # most resolved within the day, archived by month
                    followup = followup_record(rating_id, ts, ts + timedelta(hours=2))
                    archive.setdefault(f"{day:%Y-%m}", {})[followup["id"]] = followup  # type: ignore[index]
            write_json(self.root / "ratings" / f"{day:%Y}" / f"{day:%Y-%m-%d}.json", {"ratings": records})
            self.db.executemany(
                "INSERT INTO ratings VALUES (?, ?, '', ?)",
                [(key, day.isoformat(), orjson.dumps(record)) for key, record in records.items()],
            )
        for shard, entries in ids.items():
            write_json(self.root / "ids" / f"{shard}.json", {"ids": entries})
        write_json(self.root / f"{INDEX_START}.json", {"index": {"start": {"last_unindexed_day": ""}}})
        archived: dict[str, dict[str, dict[str, str]]] = {}  # the follow-up id index, as the store keeps it
        for month, followups in archive.items():
            write_json(self.root / "followups" / f"{month}.json", {"followups": followups})
            for key in followups:
                archived.setdefault(f"{zlib.crc32(key.encode()) % ID_SHARDS:03d}", {})[key] = {"month": month}
            self.db.executemany(
                "INSERT INTO followups VALUES (?, ?, 'resolved', ?)",
                [(key, month, orjson.dumps(record)) for key, record in followups.items()],
            )
        for shard, entries in archived.items():
            write_json(self.root / FOLLOWUP_IDS / f"{shard}.json", {"followups": entries})
        write_json(self.root / f"{FOLLOWUP_INDEX_START}.json", {"index": {"start": {"last_unindexed_month": ""}}})
        self.write_sms()
        self.db.execute("COMMIT")

    def write_sms(self, numbers: int = 5_000, each: int = 10) -> None:
        """Returning numbers: ``each`` texts from each over the last 90 days."""
        shards: dict[str, dict[str, dict[str, object]]] = {}
        for n, phone in zip(range(numbers), valid_numbers("202"), strict=False):
            shard = shards.setdefault(shard_name(phone), {"numbers": {}, "messages": {}})
            at = (NOW - timedelta(days=1 + n % 89)).isoformat()
            shard["numbers"][phone] = {"phone": phone, "updated": at, "conversation": None}
            self.db.execute("INSERT INTO numbers VALUES (?, '', '', ?)", (phone, orjson.dumps({"updated": at})))
            for m in range(each):
                message = {"body": TEXT, "at": at, "reply": "Thank you!", "_phone": phone, "_sid": f"SMh{n}-{m}"}
                shard["messages"][f"{phone} SMh{n}-{m}"] = message
                self.db.execute(
                    "INSERT INTO messages VALUES (?, ?, ?, ?)", (phone, f"SMh{n}-{m}", at, orjson.dumps(message))
                )
        for name, tables in shards.items():
            tables["swept"] = {"swept": {"day": NOW.date().isoformat()}}
            write_json(self.root / f"{name}.json", tables)


def medians_ms(ours: Callable[[int], object], theirs: Callable[[int], object], repeat: int) -> tuple[float, float]:
    """The median of each side, the two taken in turns: a disk or a neighbour busy for a while slows both
    alike, where timing one side then the other would charge it to whichever ran then."""
    times: tuple[list[float], list[float]] = ([], [])
    for n in range(repeat):
        for action, kept in ((ours, times[0]), (theirs, times[1])):
            started = time.perf_counter()
            action(n)
            kept.append(time.perf_counter() - started)
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3


def set_queue(year: Year, open_count: int) -> None:
    ts = NOW - timedelta(hours=3)
    queue = {f"fu-q{n}": followup_record(f"q{n}", ts, None) for n in range(open_count)}
    write_json(year.root / "queue.json", {"followups": queue})
    year.db.execute("DELETE FROM followups WHERE status = 'open'")
    year.db.execute("BEGIN")
    year.db.executemany(
        "INSERT OR REPLACE INTO followups VALUES (?, ?, 'open', ?)",
        [(key, "", orjson.dumps(record)) for key, record in queue.items()],
    )
    year.db.execute("COMMIT")


def sqlite_flag(year: Year, rating_id: str) -> None:
    record = rating_record(rating_id, NOW, Outcome.BELOW)
    db = year.db
    db.execute("BEGIN")
    found = db.execute("SELECT 1 FROM ratings WHERE id = ?", (rating_id,)).fetchone()
    if found is None:
        db.execute(
            "INSERT INTO ratings VALUES (?, ?, '', ?)", (rating_id, NOW.date().isoformat(), orjson.dumps(record))
        )
        followup = followup_record(rating_id, NOW, None)
        db.execute("INSERT INTO followups VALUES (?, '', 'open', ?)", (followup["id"], orjson.dumps(followup)))
        db.execute("INSERT OR REPLACE INTO summaries VALUES (?, ?)", (NOW.date().isoformat(), orjson.dumps({"n": 1})))
    db.execute("COMMIT")


def ask_every_index_shard(year: Year) -> None:
    """One id lookup in each shard of the id index on both sides, as a running shop's answers have long
    done: the store's lookups make the offsets a shard lacks (see ``shared.offsets``) on the first."""
    store, shards = FeedbackStore(year.root), set()
    for n in itertools.count():
        rating_id = uuid_like(f"asked-{n}")
        shard = zlib.crc32(rating_id.encode()) % ID_SHARDS
        if shard not in shards:
            shards.add(shard)
            assert store.get_rating(rating_id, NOW) is None
            year.db.execute("SELECT 1 FROM ratings WHERE id = ?", (rating_id,)).fetchone()
        if len(shards) == ID_SHARDS:
            return


def bench_flags(year: Year, repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    ask_every_index_shard(year)
    for open_count in (0, 5_000, 20_000):
        set_queue(year, open_count)
        store = FeedbackStore(year.root)
        store.record_rating(Rating.from_record(rating_record(f"warm{open_count}", NOW, Outcome.BELOW)), now=NOW)
        ours, theirs = medians_ms(
            lambda n, c=open_count, store=store: store.record_rating(  # type: ignore[misc]
                Rating.from_record(rating_record(uuid_like(f"f{c}-{n}"), NOW, Outcome.BELOW)), now=NOW
            ),
            lambda n, c=open_count: sqlite_flag(year, uuid_like(f"f{c}-{n}")),  # type: ignore[misc]
            repeat,
        )
        rows.append((f"flag, {open_count:,} open follow-ups", ours, theirs))
    return rows


def bench_resolves(year: Year, repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    month = year.root / "followups" / f"{NOW:%Y-%m}.json"
    for resolved in (0, 10_000, 30_000):
        ts = NOW - timedelta(days=2)
        archive = {f"fu-a{n}": followup_record(f"a{n}", ts, ts + timedelta(hours=1)) for n in range(resolved)}
        write_json(month, {"followups": archive})
        set_queue(year, repeat + 1)
        year.db.execute("DELETE FROM followups WHERE day = ?", (f"{NOW:%Y-%m}",))
        year.db.execute("BEGIN")
        year.db.executemany(
            "INSERT INTO followups VALUES (?, ?, 'resolved', ?)",
            [(key, f"{NOW:%Y-%m}", orjson.dumps(record)) for key, record in archive.items()],
        )
        year.db.execute("COMMIT")
        store = FeedbackStore(year.root)
        store.resolve(f"fu-q{repeat}", Resolution.APOLOGISED, by="dee", now=NOW)  # warm, as a running console is

        def sqlite_resolve(n: int) -> None:
            db = year.db
            db.execute("BEGIN")
            (record,) = db.execute("SELECT record FROM followups WHERE id = ?", (f"fu-q{n}",)).fetchone()
            done = FollowUp.from_record(orjson.loads(record)).resolve(Resolution.APOLOGISED, NOW, by="dee")
            db.execute(
                "UPDATE followups SET status = 'resolved', day = ?, record = ? WHERE id = ?",
                (f"{NOW:%Y-%m}", orjson.dumps(done.to_record()), done.id),
            )
            db.execute("COMMIT")

        ours, theirs = medians_ms(
            lambda n, store=store: store.resolve(f"fu-q{n}", Resolution.APOLOGISED, by="dee", now=NOW),  # type: ignore[misc]
            sqlite_resolve,
            repeat,
        )
        rows.append((f"resolve, {resolved:,} resolved this month", ours, theirs))
    return rows


def sms_settings(base: Path) -> object:
    path = base / "feedback.toml"
    path.write_text('business_name = "Bench Cafe"\n[sms]\nrate_limit_per_minute = 1000\n', encoding="utf-8")
    return load_sms_config(load_config(path, data_dir=base / "store", environ={}))


def sqlite_text(year: Year, phone: str, sid: str, at: datetime) -> None:
    db = year.db
    db.execute("BEGIN IMMEDIATE")  # the lock first, as the store: a deferred read cannot upgrade during a purge
    seen = db.execute("SELECT record FROM messages WHERE phone = ? AND sid = ?", (phone, sid)).fetchone()
    if seen is None:
        db.execute("SELECT record FROM numbers WHERE id = ?", (phone,)).fetchone()
        rating = rating_record(f"sms-{sid}", at, Outcome.MET)
        db.execute(
            "INSERT INTO ratings VALUES (?, ?, '', ?)", (rating["id"], at.date().isoformat(), orjson.dumps(rating))
        )
        message = {"body": TEXT, "at": at.isoformat(), "reply": "Thank you!"}
        db.execute("INSERT INTO messages VALUES (?, ?, ?, ?)", (phone, sid, at.isoformat(), orjson.dumps(message)))
        db.execute(
            "INSERT OR REPLACE INTO numbers VALUES (?, '', '', ?)", (phone, orjson.dumps({"updated": at.isoformat()}))
        )
    db.execute("COMMIT")


def read_as_responder(settings: object, phone: str, body: str) -> None:
    """What the responder works out from a text before its store is asked anything (the number read,
    the reply understood): done on SQLite's side too, so a text's ratio compares the stores, not the
    responder with a bare INSERT."""
    read_phone(phone, settings.phone_region)  # type: ignore[attr-defined]
    parse_reply(body, opted_out=False, questions=settings.questions, opt_out_type=None)  # type: ignore[attr-defined]


def data_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def bench_texts(year: Year, base: Path, repeat: int) -> tuple[list[tuple[str, float, float]], list[str]]:
    rows, notes = [], []
    settings = sms_settings(base)
    for earlier, phone in zip((0, 100, 1_000), valid_numbers("303"), strict=False):
        shard = year.root / f"{shard_name(phone)}.json"
        tables = orjson.loads(shard.read_bytes())
        start = NOW - timedelta(days=30)
        for m in range(earlier):
            at = (start + timedelta(minutes=m)).isoformat()
            message = {"body": TEXT, "at": at, "reply": "Thank you!", "_phone": phone, "_sid": f"SMe{m}"}
            tables["messages"][f"{phone} SMe{m}"] = message
            year.db.execute("INSERT INTO messages VALUES (?, ?, ?, ?)", (phone, f"SMe{m}", at, orjson.dumps(message)))
        write_json(shard, tables)
        responder = Responder(settings, FeedbackStore(year.root))  # type: ignore[arg-type]
        body = "3 " + PRAISE
        warm = responder.handle(
            Inbound(sid=f"SMw{earlier}", sender=phone, body=body, received=NOW - timedelta(hours=2))
        )
        assert warm.action == "rating_recorded", warm
        before = data_bytes(year.root)

        def text(
            n: int, phone: str = phone, earlier: int = earlier, responder: Responder = responder, body: str = body
        ) -> None:
            at = NOW + timedelta(minutes=3 * n)
            responder.handle(Inbound(sid=f"SMt{earlier}-{n}", sender=phone, body=body, received=at))

        def sqlite_side(n: int, phone: str = phone, earlier: int = earlier, body: str = body) -> None:
            read_as_responder(settings, phone, body)
            sqlite_text(year, phone, f"SMt{earlier}-{n}", NOW + timedelta(minutes=3 * n))

        ours, theirs = medians_ms(text, sqlite_side, repeat)
        per_text = (data_bytes(year.root) - before) / repeat  # (SQLite's file is not in the store's folder)
        rows.append((f"text, number with {earlier:,} earlier messages", ours, theirs))
        notes.append(
            f"disk per text from a number with {earlier:,} earlier: {per_text:,.0f} bytes "
            f"(text {len(body)} characters; includes the rating, index, summary, journals, folds)"
        )
    return rows, notes


DUPLICATE_CHECK = """
import sys, time
from datetime import datetime
started = time.perf_counter()
from shared.store import FeedbackStore
imported = time.perf_counter()
store = FeedbackStore(sys.argv[1])
with store.transaction() as tx:
    found, _ = store._lookup_rating(tx, sys.argv[2], datetime.fromisoformat(sys.argv[3]))
print((time.perf_counter() - imported) * 1e3, found is not None)
"""

SQLITE_CHECK = """
import sqlite3, sys, time
started = time.perf_counter()
db = sqlite3.connect(sys.argv[1])
found = db.execute("SELECT record FROM ratings WHERE id = ?", (sys.argv[2],)).fetchone()
print((time.perf_counter() - started) * 1e3, found is not None)
"""


def fresh_process_ms(script: str, *args: str) -> tuple[float, bool]:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    elapsed, found = out.stdout.split()
    return float(elapsed), found == "True"


DUPLICATE_RUNS = 15


def bench_duplicates(year: Year) -> list[tuple[str, float, float]]:
    day = NOW.date()
    store = FeedbackStore(year.root)
    busy = [Rating.from_record(rating_record(uuid_like(f"busy-{n}"), NOW, Outcome.MET)) for n in range(50_000)]
    store.record_ratings(busy, now=NOW)
    year.db.execute("BEGIN")
    year.db.executemany(
        "INSERT INTO ratings VALUES (?, ?, '', ?)",
        [(r.id, day.isoformat(), orjson.dumps(r.to_record())) for r in busy],
    )
    year.db.execute("COMMIT")
    later = (NOW + timedelta(days=2)).isoformat()  # the same id, timestamped two days later
    rows = []
    asked = (("new id", uuid_like("never-seen")), ("repeated id, 2 days later", uuid_like("busy-4242")))
    for label, rating_id in asked:
        found = fresh_process_ms(DUPLICATE_CHECK, str(year.root), rating_id, later)[1]  # (makes what it lacks)
        # In turns, and 15 of each: a fresh process's time varies by a third from one run to the next.
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(DUPLICATE_RUNS):
            times[0].append(fresh_process_ms(DUPLICATE_CHECK, str(year.root), rating_id, later)[0])
            times[1].append(fresh_process_ms(SQLITE_CHECK, str(year.sqlite_path), rating_id)[0])
        ours, theirs = statistics.median(times[0]), statistics.median(times[1])
        rows.append((f"duplicate check, fresh process, 50,000 today: {label} (found={found})", ours, theirs))
    return rows


COLLIDER = """
import sqlite3, sys, time
kind, target, rounds, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
waits = []
if kind == "store":
    from shared.store import FeedbackStore
    store = FeedbackStore(target)
    time.sleep(max(start_at - time.time(), 0))  # both at once, whatever either took to start
    for _ in range(rounds):
        started = time.perf_counter()
        with store.transaction():
            waits.append(time.perf_counter() - started)
            time.sleep(0.001)  # the holder needs 1 ms
        time.sleep(0.0005)
else:
    db = sqlite3.connect(target, isolation_level=None, timeout=10)
    time.sleep(max(start_at - time.time(), 0))
    for _ in range(rounds):
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        waits.append(time.perf_counter() - started)
        time.sleep(0.001)
        db.execute("COMMIT")
        time.sleep(0.0005)
waits.sort()
print(sum(waits) / len(waits) * 1e3, waits[-1] * 1e3)
"""


def collision_ms(kind: str, target: Path, rounds: int = 300) -> tuple[float, float]:
    """Two processes taking the lock in turn, each holding it 1 ms: the mean wait and the longest.

    The mean, not a percentile: SQLite's busy handler retries on a timer, and now and then one side
    misses every release for the other's whole run (a 300-500 ms wait) and then never waits again,
    so its median and 90th percentile say ~0 ms of a run whose cost all went into one wait."""
    start_at = time.time() + 2.0  # both started and ready by then: they collide from their first round
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", COLLIDER, kind, str(target), str(rounds), str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    figures = [[float(figure) for figure in proc.communicate(timeout=300)[0].split()] for proc in procs]
    return statistics.mean(mean for mean, _ in figures), max(longest for _, longest in figures)


def rss_bytes() -> int:
    """This process's resident memory now (Linux), as a server's would be measured."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_throughput(year: Year, base: Path, texts: int, numbers: int) -> tuple[float, float, float, float, int, int]:
    """Texts/s (this store, SQLite) over the first and the last tenth of ``texts`` from ``numbers`` numbers,
    and this store's resident memory after the first tenth and at the end."""
    settings = sms_settings(base)
    responder = Responder(settings, FeedbackStore(year.root))  # type: ignore[arg-type]
    phones = list(itertools.islice(valid_numbers("404"), numbers))

    def body_of(n: int) -> str:
        return "1 " + TEXT if n % 10 == 0 else "3 " + PRAISE

    def ours(n: int) -> None:
        at = NOW + timedelta(days=3, seconds=n)
        responder.handle(Inbound(sid=f"SMp{n}", sender=phones[n % numbers], body=body_of(n), received=at))

    def theirs(n: int) -> None:
        read_as_responder(settings, phones[n % numbers], body_of(n))
        sqlite_text(year, phones[n % numbers], f"SMp{n}", NOW + timedelta(days=3, seconds=n))

    results = []
    memory = [0, 0]
    for action in (ours, theirs):
        tenth = max(texts // 10, 1)
        stamps = []
        for n in range(texts):
            action(n)
            stamps.append(time.perf_counter())
            if action is ours and n in (tenth - 1, texts - 1):
                memory[n == texts - 1] = rss_bytes()
        first = tenth / (stamps[tenth - 1] - stamps[0]) if tenth > 1 else 0.0
        by_tenth = [tenth / (stamps[min((k + 1) * tenth, texts) - 1] - stamps[k * tenth]) for k in range(10)]
        side = "this store" if action is ours else "SQLite"
        print(f"texts/s by tenth, {side}: {' '.join(f'{rate:.0f}' for rate in by_tenth)}", flush=True)
        last = tenth / (stamps[-1] - stamps[-tenth - 1])
        results.extend([first, last])
    return results[0], results[1], results[2], results[3], memory[0], memory[1]


PROBE_EVERY = 0.010


def probe(kind: str, target: str, config: str, stop: str) -> None:
    """A second process: a kiosk tap, then a text, every 10 ms until ``stop`` exists; prints latencies."""
    taps: list[float] = []
    texts: list[float] = []
    phones = list(itertools.islice(valid_numbers("505"), 50))
    if kind == "store":
        settings = load_sms_config(load_config(Path(config), data_dir=Path(target), environ={}))
        store = FeedbackStore(target, lock_timeout=60)
        responder = Responder(settings, store)

        def tap(n: int) -> None:
            store.record_rating(Rating.from_record(rating_record(f"probe-{n}", NOW, Outcome.MET)), now=NOW)

        def text(n: int) -> None:
            at = NOW + timedelta(seconds=n)
            responder.handle(Inbound(sid=f"SMprobe{n}", sender=phones[n % 50], body="3 " + TEXT, received=at))
    else:
        db = sqlite3.connect(target, isolation_level=None, timeout=60)
        db.execute("PRAGMA synchronous=FULL")

        def tap(n: int) -> None:
            record = rating_record(f"probe-{n}", NOW, Outcome.MET)
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO ratings VALUES (?, ?, '', ?)", (record["id"], "", orjson.dumps(record)))
            db.execute("COMMIT")

        def text(n: int) -> None:
            holder = Year.__new__(Year)
            holder.db = db
            sqlite_text(holder, phones[n % 50], f"SMprobe{n}", NOW + timedelta(seconds=n))

    for n in range(-3, 0):  # warm: a running kiosk or server has read its files already
        tap(n)
        text(n)
    print("ready", flush=True)
    n = 0
    while not Path(stop).exists():
        for action, times in ((tap, taps), (text, texts)):
            started = time.perf_counter()
            action(n)
            times.append(time.perf_counter() - started)
            time.sleep(PROBE_EVERY)
        n += 1
    print(orjson.dumps({"taps": taps, "texts": texts}).decode(), flush=True)


SQLITE_OPS = r"""
import csv, sqlite3, sys
import orjson
op, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
db = sqlite3.connect(path, isolation_level=None, timeout=60)
db.execute("PRAGMA synchronous=FULL")
if op == "purge":
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        "UPDATE ratings SET record = json_set(record, '$.comment', '', '$.contact', NULL) "
        "WHERE day < ? AND (json_extract(record, '$.comment') != '' OR json_extract(record, '$.contact') IS NOT NULL)",
        (sys.argv[4],),
    )
    db.execute(
        "UPDATE followups SET record = json_set(record, '$.comment', '', '$.note', '', '$.contact', NULL) "
        "WHERE json_extract(record, '$.created') < ? AND (json_extract(record, '$.note') != '' "
        "OR json_extract(record, '$.comment') != '' OR json_extract(record, '$.contact') IS NOT NULL)",
        (sys.argv[4],),
    )
    db.execute("COMMIT")
elif op == "json":
    with open(out, "wb") as f:
        f.write(b'{"ratings": [')
        sep = b"\n"
        for (record,) in db.execute("SELECT record FROM ratings ORDER BY day, id"):
            f.write(sep + orjson.dumps(orjson.loads(record)))
            sep = b",\n"
        f.write(b'],\n"followups": [')
        sep = b"\n"
        for (record,) in db.execute("SELECT record FROM followups"):
            f.write(sep + orjson.dumps(orjson.loads(record)))
            sep = b",\n"
        f.write(b"]}\n")
elif op == "csv":  # the same sheet as feedback export --format csv: same columns, masking, formula guard
    from shared.csv_safe import SafeWriter
    from shared.export import RATING_COLUMNS, _FOLLOWUP_CSV_COLUMNS, _cell, _followup_cells, rating_row
    with open(out, "w", newline="", encoding="utf-8-sig") as f:
        writer = SafeWriter(f)
        writer.writerow(RATING_COLUMNS + [f"followup_{c}" for c in _FOLLOWUP_CSV_COLUMNS])
        none = [""] * len(_FOLLOWUP_CSV_COLUMNS)
        rows = db.execute(
            "SELECT r.record, f.record FROM ratings r LEFT JOIN followups f ON f.id = 'fu-' || r.id "
            "ORDER BY r.day, r.id"
        )
        for rating, followup in rows:
            row = rating_row(orjson.loads(rating), include_contacts=False)
            tail = none
            if followup:
                tail = _followup_cells(orjson.loads(followup), include_contacts=False)  # as the store's export
            writer.writerow([_cell(row[c]) for c in RATING_COLUMNS] + tail)
elif op == "report":
    list(db.execute(
        "SELECT day, json_extract(record, '$.outcome'), json_extract(record, '$.station'), "
        "json_extract(record, '$.staff'), count(*) FROM ratings GROUP BY 1, 2, 3, 4"
    ))
    list(db.execute("SELECT json_extract(record, '$.created'), json_extract(record, '$.resolved_at') FROM followups"))
"""


PEAK = """
import atexit, runpy, sys, time
out, kind, what, *rest = sys.argv[1:]
held = [0.0]
if kind == "-m":  # this store: every hold of its lock timed (what a tap or a text may have waited for)
    from shared import files
    acquire, release = files.FileLock.acquire, files.FileLock.release
    def timed_acquire(self):
        acquire(self)
        self.taken = time.perf_counter()
    def timed_release(self):
        held[0] = max(held[0], time.perf_counter() - self.taken)
        release(self)
    files.FileLock.acquire, files.FileLock.release = timed_acquire, timed_release
def peak():
    with open("/proc/self/status") as status, open(out, "w") as written:
        written.write(next(line.split()[1] for line in status if line.startswith("VmHWM")) + f" {held[0]}")
atexit.register(peak)
sys.argv = [what, *rest]
if kind == "-m":
    runpy.run_module(what, run_name="__main__", alter_sys=True)
else:
    exec(compile(what, "<command>", "exec"), {"__name__": "__main__"})
"""
"""Runs a command (``-m module`` or ``-c code``) and writes its peak resident memory (kB) to a file at exit, and
for ``-m`` (this store's command) the longest it held the store's lock (s): ``VmHWM`` is this process's own
(``ru_maxrss`` of a child forked from this big process would count ours)."""


def run_measured(
    command: list[str], prober: list[str], stop: Path
) -> tuple[float, float, float, list[float], list[float]]:
    """Run ``command`` with ``prober`` recording meanwhile: seconds, peak MiB, the longest lock hold (s; this
    store's only), tap and text latencies."""
    stop.unlink(missing_ok=True)
    peak_file = stop.with_name("peak-kb")
    command = [command[0], "-c", PEAK, str(peak_file), *command[1:]]
    probe_process = subprocess.Popen(prober, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert probe_process.stdout is not None
    assert probe_process.stdout.readline().strip() == "ready"
    try:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        _, status, _ = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {command}")
    finally:
        stop.touch()
        latencies = orjson.loads(probe_process.communicate(timeout=120)[0])
    kilobytes, held = peak_file.read_text().split()
    return elapsed, int(kilobytes) / 1024, float(held), latencies["taps"], latencies["texts"]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3 if ordered else 0.0


def bench_long_commands(year: Year, base: Path) -> list[str]:
    """The long commands on both stores: time, peak memory, and taps/texts waiting meanwhile."""
    config = base / "feedback.toml"
    sms_settings(base)  # writes the configuration file
    stop = base / "stop-probe"
    first = (NOW - timedelta(days=DAYS + 1)).date().isoformat()
    cutoff = (NOW - timedelta(days=90)).isoformat()
    restored = base / "restored"
    restored_db = base / "restored.db"
    me = [sys.executable, str(Path(__file__).resolve())]
    feedback = [sys.executable, "-m", "feedback"]
    common = ["--config", str(config)]

    def ours(*args: str, root: Path = year.root) -> list[str]:
        return [*feedback, *args, *common, "--data", str(root)]

    def theirs(op: str, path: Path = year.sqlite_path) -> list[str]:
        return [sys.executable, "-c", SQLITE_OPS, op, str(path), str(base / f"out-sqlite.{op}"), cutoff]

    def summarise_once() -> None:  # the history was written as files, without summaries
        subprocess.run(ours("report", "--since", first, "-o", str(base / "report0.txt")), check=True, cwd=ROOT)

    def restore() -> None:
        shutil.rmtree(restored, ignore_errors=True)
        shutil.copytree(year.root, restored)  # new files, so every summary is stale
        year.db.execute("PRAGMA wal_checkpoint(FULL)")
        shutil.copyfile(year.sqlite_path, restored_db)

    operations: list[tuple[str, list[str], list[str], Path, Path, Callable[[], None] | None]] = [
        ("purge, first (comments older than 90 days)", ours("purge", "--older-than", "90d"), theirs("purge"),
         year.root, year.sqlite_path, None),
        ("purge, daily (nothing to erase)", ours("purge", "--older-than", "90d"), theirs("purge"),
         year.root, year.sqlite_path, None),
        ("export JSON", ours("export", "--format", "json", "-o", str(base / "out.json")), theirs("json"),
         year.root, year.sqlite_path, None),
        ("export CSV", ours("export", "--format", "csv", "-o", str(base / "out.csv")), theirs("csv"),
         year.root, year.sqlite_path, None),
        ("report, whole history", ours("report", "--since", first, "-o", str(base / "report.txt")),
         theirs("report"), year.root, year.sqlite_path, summarise_once),
        ("first report after a restore (every day recounted)",
         ours("report", "--since", first, "-o", str(base / "report2.txt"), root=restored),
         theirs("report", restored_db), restored, restored_db, restore),
    ]  # fmt: skip
    lines = [
        f"{'long command':<52} {'store s':>8} {'SQLite s':>8} {'ratio':>6} {'MiB':>6} {'SQL MiB':>7} "
        f"{'tap p99':>8} {'max':>6} {'text p99':>8} {'max':>6} {'lock max':>8} {'SQL tap/text p99':>16}"
    ]
    for label, store_command, sqlite_command, root, db_path, prepare in operations:
        if prepare is not None:
            prepare()
        store_probe = [*me, "--probe", "store", str(root), str(config), str(stop)]
        sqlite_probe = [*me, "--probe", "sqlite", str(db_path), str(config), str(stop)]
        seconds, mib, held, taps, texts = run_measured(store_command, store_probe, stop)
        sql_seconds, sql_mib, _, sql_taps, sql_texts = run_measured(sqlite_command, sqlite_probe, stop)
        ratio = seconds / sql_seconds if sql_seconds else float("inf")
        lines.append(
            f"{label:<52} {seconds:>8.2f} {sql_seconds:>8.2f} {ratio:>5.2f}x {mib:>6.0f} {sql_mib:>7.0f} "
            f"{p99(taps):>7.0f}ms {max(taps) * 1e3:>5.0f} {p99(texts):>7.0f}ms {max(texts) * 1e3:>5.0f} "
            f"{held * 1e3:>6.0f}ms {p99(sql_taps):>7.0f}/{p99(sql_texts):.0f}ms"
        )
    return lines


def keep_before_long(year: Year, base: Path, keep: bool) -> None:
    """With ``--keep``: copy the store and the SQLite file as the long commands find them (to profile them later)."""
    if keep:
        year.db.execute("PRAGMA wal_checkpoint(FULL)")
        shutil.copytree(year.root, base / "store-before-long")
        shutil.copyfile(year.sqlite_path, base / "sqlite-before-long.db")


def line(label: str, ours: float, theirs: float) -> str:
    ratio = ours / theirs if theirs else float("inf")
    verdict = "ok" if ratio <= 3 else "OVER 3x"
    return f"{label:<66} {ours:>9.2f} {theirs:>9.2f} {ratio:>7.2f}x  {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=1_000, help="texts for the throughput run (the issue used 50,000)")
    parser.add_argument("--numbers", type=int, default=1_000, help="numbers those texts come from")
    parser.add_argument("--repeat", type=int, default=40, help="timed operations per configuration")
    parser.add_argument("--days", type=int, default=365, help="days of history (a year by default)")
    parser.add_argument("--dir", default=None, help="where to write (default: a temporary folder)")
    parser.add_argument("--long-only", action="store_true", help="only the long commands (purge, export, report)")
    parser.add_argument("--ops-only", action="store_true", help="only the operations and throughput, no long commands")
    parser.add_argument(
        "--keep", action="store_true", help="keep the folder, with a copy of the store as the long commands found it"
    )
    parser.add_argument("--probe", nargs=4, metavar=("KIND", "TARGET", "CONFIG", "STOP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(*args.probe)
        return
    global DAYS  # the history's length, set once before anything is written
    DAYS = args.days
    base = Path(tempfile.mkdtemp(prefix="feedback-years-", dir=args.dir))
    try:
        started = time.perf_counter()
        year = Year(base)
        year.write()
        os.sync()  # both sides timed with the history on disk, not while the kernel still writes it back
        print(
            f"{DAYS} days written in {time.perf_counter() - started:.1f} s: {DAYS * PER_DAY:,} ratings, "
            f"{DAYS * PER_DAY // 10:,} follow-ups, 50,000 texts from 5,000 numbers ({NUMBER_SHARDS} shards)"
        )
        if args.long_only:
            keep_before_long(year, base, args.keep)
            for text in bench_long_commands(year, base):
                print(text, flush=True)
            return
        print(f"{'operation (median)':<66} {'store ms':>9} {'SQLite ms':>9} {'ratio':>8}")
        for row in bench_flags(year, args.repeat):
            print(line(*row))
        for row in bench_resolves(year, args.repeat):
            print(line(*row))
        rows, notes = bench_texts(year, base, args.repeat)
        for row in rows:
            print(line(*row))
        for row in bench_duplicates(year):
            print(line(*row))
        (ours, our_longest), (theirs, their_longest) = (
            collision_ms("store", year.root),
            collision_ms("sqlite", year.sqlite_path),
        )
        print(line("lock collision wait, holder needs 1 ms (mean)", ours, theirs))
        notes.append(
            f"lock collision, the longest wait: this store {our_longest:.1f} ms, SQLite {their_longest:.1f} ms"
        )
        for note in notes:
            print(note)
        ours_first, ours_last, theirs_first, theirs_last, rss_start, rss_end = bench_throughput(
            year, base, args.texts, args.numbers
        )
        if not args.ops_only:
            keep_before_long(year, base, args.keep)
            for text in bench_long_commands(year, base):
                print(text, flush=True)
        print(
            f"texts/s over {args.texts:,} texts from {args.numbers:,} numbers: this store {ours_first:.0f} -> "
            f"{ours_last:.0f} ({ours_last / ours_first:.0%} of the start; target >= 90 %), "
            f"SQLite {theirs_first:.0f} -> {theirs_last:.0f}; end ratio {theirs_last / ours_last:.2f}x"
        )
        print(
            f"memory (resident) over those texts: {rss_start / 2**20:.0f} MB after the first tenth -> "
            f"{rss_end / 2**20:.0f} MB at the end ({rss_end / rss_start - 1:+.0%}; target <= +25 %)"
        )
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
