"""The one store that every process writes ratings and follow-ups to.

Layout of a data directory (all TinyDB files written by :class:`DurableJSONStorage`; folders
0700, files 0600, see :mod:`shared.private_files`; years always four digits)::

    .lock                          cross-process lock held by every read-modify-write
    revision.json                  the change feed: an epoch, a counter and the files it last touched
    ratings/2026/2026-11-24.json   one partition per UTC day, ratings keyed by their source id
    ids/NNN.json                   the id index: rating id -> its UTC day (256 shards by hash), so a
                                   repeated id is found whatever its timestamp, without reading days
    ids/start.json                 the last day with ratings from before the index (searched the old way)
    ids/followups/NNN.json         the follow-up id index: archived follow-up id -> its archive's month,
                                   so a follow-up is looked up in one month, a new id in none
    ids/followups/start.json       the last month archived before that index (searched the old way)
    queue.json                     open and claimed follow-ups only: small, read by the live console
    followups/2026-11.json         resolved follow-ups, by month of resolution
    summaries/2026-11.json         hourly counts per day, so reports never read every rating
    <name>.json                    channel data (opt-outs, prompts, ...) via :meth:`FeedbackStore.transaction`

Why this cut: recording an answer writes one journal line (see :mod:`shared.storage`) to
its id's index shard, today's partition, the queue when it is unmet, and this month's
summary, so its cost grows neither with history nor with the size of those files.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from tinydb.table import Document, Table

from shared import month_tallies
from shared.accounts import Account, AccountEvent, WebSession
from shared.check_backs import CheckBack, CheckBackKey
from shared.config import Config
from shared.door import EVERY_TOPIC, NoPhoneNumber, Topic
from shared.files import LOCK_LONGEST_WAIT, StoreBusy, StoreFiles, Transaction, put, put_many, remove
from shared.followups import (
    DEFAULT_TARGET,
    FollowUp,
    FollowUpError,
    FollowUpKind,
    FollowUpStatus,
    Resolution,
)
from shared.hot_spots import Spot, is_due
from shared.interactions import (
    DEFAULT_WINDOW,
    INTERACTION_KEY,
    Interaction,
    Pair,
    PairTally,
    still_waiting,
    view_for,
)
from shared.month_tallies import LoopRow, LoopRows, Tally
from shared.ratings import (
    DEFAULT_LIMITS,
    Channel,
    Contact,
    Limits,
    Outcome,
    Rating,
    check_bounds,
    check_fields,
    utc,
)
from shared.storage import DurableJSONStorage, StoreCorrupt, StoreError, StoreWriteError, storage_signature
from shared.summary import apply_change, hour_of, summarise_records

QUEUE = "queue"
SPOTS = "spots"  # hot-spot and great-streak alerts sent (the console shows them in its queue)
SPOTS_KEPT = timedelta(days=2)
HOOKS = "hooks"  # the hooks' outbox and its watcher's cursor
OUTBOX_KEPT = timedelta(days=7)
ID_SHARDS = 256
# In an id index entry: 1 if the rating has (or had) a follow-up, 0 if it never had one; entries
# written before this flag lack it and say nothing. Written with the id, so it costs no write.
FOLLOWED_UP = "f"
INDEX_START = "ids/start"
FOLLOWUP_IDS = "ids/followups"  # follow-up id -> the month of the archive that holds it (256 shards by hash)
FOLLOWUP_INDEX_START = "ids/followups/start"  # the last month archived before that index
CHECK_BACKS_OPEN = "checkbacks/open"  # check-backs still to send or awaiting an answer
VIEWS_OPEN = "views/open"  # staff views waiting for the customer's answer: small, read on every record
# The longest a long command works under the lock before letting a tap or a text in (see in_slices).
SLICE_SECONDS = 0.015
DAYS_READ_AT_ONCE = 4  # an export holds at most this many days' ratings at once
T = TypeVar("T")
R = TypeVar("R")


def day_name(day: date) -> str:
    """``YYYY-MM-DD`` with a four-digit year (``%Y`` does not pad years before 1000)."""
    return day.isoformat()


def month_name(moment: date) -> str:
    """``YYYY-MM`` with a four-digit year: the name of a month's summary or archive file."""
    return f"{moment.year:04d}-{moment.month:02d}"


def summary_name(day: date) -> str:
    """The name of the month's hourly counts that hold ``day``'s."""
    return f"summaries/{month_name(day)}"


def partition_name(day: date) -> str:
    """The file (without ``.json``) that holds one UTC day's ratings."""
    return f"ratings/{day.year:04d}/{day_name(day)}"


def partition_day(path: Path) -> date | None:
    """The day of a partition file, also from names written before years were padded
    (``ratings/999/999-06-01.json``); None for a file that is not a partition."""
    try:
        year, month, day = (int(part) for part in path.stem.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def day_partitions(root: Path, since: date | None = None, until: date | None = None) -> list[tuple[date, Path]]:
    """The rating partitions in ``root`` whose day lies in [since, until], oldest first."""
    found = []
    for path in (root / "ratings").glob("*/*.json"):
        day = partition_day(path)
        if day is not None and (since is None or day >= since) and (until is None or day <= until):
            found.append((day, path))
    return sorted(found)


class UnknownFollowUp(StoreError):
    """No follow-up with that id exists."""


class UnknownRating(StoreError):
    """No rating with that id exists near the given time."""


class NoStoreHere(StoreError):
    """A command that only reads (or erases) found no data folder where the configuration points."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :meth:`FeedbackStore.record_rating` did."""

    rating: Rating
    followup: FollowUp | None
    duplicate: bool


class _PendingRecord:
    """One ``record_rating`` call waiting for the group commit that includes it."""

    def __init__(self, rating: Rating, now: datetime) -> None:
        self.rating = rating
        self.now = now
        self.done = False
        self._result: Recorded | None = None
        self._error: Exception | None = None

    def finish(self, *, result: Recorded | None = None, error: Exception | None = None) -> None:
        self._result, self._error, self.done = result, error, True

    def outcome(self) -> Recorded:
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def utc_now() -> datetime:
    return datetime.now(UTC)


class FeedbackStore:
    """Ratings, follow-ups and the change feed over one data directory.

    Safe to share between threads and between processes. Every method that
    changes something is durable when it returns.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        followup_target: timedelta = DEFAULT_TARGET,
        lock_timeout: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
        limits: Limits = DEFAULT_LIMITS,
        view_window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self.root = Path(root)
        self.view_window = view_window
        self.followup_target = followup_target
        self.clock = clock
        self.limits = limits
        self.files = StoreFiles(self.root, lock_timeout=lock_timeout)
        self._pending: list[_PendingRecord] = []
        self._pending_lock = threading.Lock()
        # The open queue as last parsed, by id: a console polls it after every change, and parsing
        # 1,000 records costs ~30 ms where comparing them with the last read costs ~2 ms.
        self._parsed_queue: dict[str, tuple[dict[str, Any], FollowUp]] = {}
        # The longest a brief transaction (a long command's slice) held the lock, in seconds, its
        # commit and release included: what a tap or a text may have waited (tests and benchmarks).
        self.longest_hold = 0.0

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Hold the store's lock to read and write files (also for a channel's own data files)."""
        return self.files.transaction()

    @contextmanager
    def brief_transaction(self) -> Iterator[Transaction]:
        """One of a long command's many short transactions (a day, a month's file).

        After it, when another process waits, the lock stays free a little longer than a waiter's
        longest retry, so a tap or a text always gets in between two of them: a waiter polls, and a
        command that took the lock again at once could keep it from a waiter for seconds. When
        nobody waits, the command goes on at once (an export of years is hundreds of slices).
        """
        with self.transaction() as tx:
            taken = time.perf_counter()
            yield tx
        self.longest_hold = max(self.longest_hold, time.perf_counter() - taken)
        if self.files.others_waiting():
            time.sleep(2 * LOCK_LONGEST_WAIT)

    def in_slices(
        self,
        items: Sequence[T],
        work: Callable[[Transaction, T], R],
        *,
        steps: Callable[[int, int], None] | None = None,
        most: int | None = None,
    ) -> Iterator[R]:
        """``work(tx, item)`` for each item, as many per :meth:`brief_transaction` as fit in ``SLICE_SECONDS``
        (another item is started only if one as long as the last would still fit).

        A long command (a purge, an export, a recount) holds the lock for one slice at most (and
        one item, however slow) and pays for taking it again, and the pause after, once per slice
        rather than once per day. Results are yielded after each slice, the lock free; ``steps``
        is told ``(items done, items)`` then too (a progress bar). ``most``: items per slice at most,
        when the results are large (days read for an export), so memory stays that many items'.
        """
        done = 0
        last = 0.0  # what the last item took: another is started only if one as long still fits
        while done < len(items):
            results: list[R] = []
            with self.brief_transaction() as tx:
                deadline = time.monotonic() + SLICE_SECONDS
                while done < len(items) and (
                    not results or (time.monotonic() + last < deadline and len(results) < (most or len(items)))
                ):
                    started = time.monotonic()
                    results.append(work(tx, items[done]))
                    last = time.monotonic() - started
                    done += 1
            if steps is not None:
                steps(done, len(items))
            yield from results

    def checkpoint(self) -> None:
        """Make every change durable in its own file and empty the write-ahead log (see :mod:`shared.wal`).

        What is logged so far is check-pointed with the lock free (hundreds of journals fsynced after
        the stress of a busy day); under the lock, only what was logged meanwhile.
        """
        wal = self.files.wal
        if wal is not None:
            with self.files.transaction():
                wal.close_segment()
            wal.wait_for_checkpoint()
        self.files.checkpoint()

    def partition_names(self) -> list[tuple[date, str]]:
        """Every day's ratings by day and name (as :class:`Transaction` methods take it), oldest first."""
        return [
            (day, path.relative_to(self.root).with_suffix("").as_posix()) for day, path in day_partitions(self.root)
        ]

    def archive_names(self) -> list[str]:
        """The monthly archives of resolved follow-ups by name, oldest first."""
        return [f"followups/{path.stem}" for path in sorted((self.root / "followups").glob("*.json"))]

    def revision(self) -> int:
        """A number that changes whenever anything in the store changes (no lock, no history read)."""
        return self.files.revision()

    def changed_files(self, since: int) -> set[str] | None:
        """Files written after revision ``since`` (``queue.json``, ...), or None when it cannot tell."""
        return self.files.changed_files(since)

    def wait_for_change(self, since: int, timeout: float, poll: float = 0.05) -> int:
        """Block until the revision differs from ``since`` or ``timeout`` passes; return the revision."""
        return self.files.wait_for_change(since, timeout, poll)

    def changes_since(self, since: int) -> set[Topic]:
        """What changed after revision ``since`` (:class:`~shared.door.Topic`); every topic when it cannot tell."""
        names = self.files.changed_files(since)
        if names is None:
            return set(EVERY_TOPIC)
        return {_FILE_TOPICS.get(name.split("/", 1)[0].removesuffix(".json"), Topic.CHANNEL) for name in names}

    @classmethod
    def from_config(cls, config: Config) -> FeedbackStore:
        return cls(
            config.data_dir,
            followup_target=config.followup_target,
            lock_timeout=config.lock_timeout,
            limits=config.limits,
            view_window=config.view_window,
        )

    @classmethod
    def existing(cls, config: Config) -> FeedbackStore:
        """The store in an existing data folder, never creating one: a report on a mistyped folder
        would otherwise be an empty report on a new empty store, and look true."""
        folder = config.data_dir
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise NoStoreHere(
                f"the data folder {folder} {what}, so nothing is stored there; choose the folder the kiosk "
                "and server write to with --data DIR, $FEEDBACK_DATA or data_dir in the configuration file"
            )
        return cls.from_config(config)

    # -- ratings ------------------------------------------------------------------

    def record_rating(self, rating: Rating, *, now: datetime | None = None) -> Recorded:
        """Keep a new answer and open its follow-up if it is unmet; durable when it returns.

        Idempotent by ``rating.id``: a second call with the same id stores nothing
        and returns the first rating with ``duplicate=True``. The follow-up is written
        before the rating, so a crash between the two can leave a follow-up for an
        answer that was never acknowledged, but never an unmet answer without one.

        Group commit: threads of one process that record at the same moment share
        one transaction, so a busy webhook pays for one write per file, not one per answer.

        Raises :class:`~shared.ratings.InvalidRating` for a time too far from ``now`` or an
        oversized field (:attr:`limits`), before anything is written.
        """
        pending = _PendingRecord(rating, now or self.clock())
        check_bounds(rating, pending.now, self.limits)
        with self._pending_lock:
            self._pending.append(pending)
        with self.files.thread_lock:  # the lock every transaction takes: one lock order, no deadlock
            if not pending.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                try:
                    results = self._record_batch(batch)
                except Exception as error:
                    for member in batch:
                        member.finish(error=error)
                    raise
                for member, result in zip(batch, results, strict=True):
                    member.finish(result=result)
        return pending.outcome()

    def record_ratings(self, ratings: Sequence[Rating], *, now: datetime | None = None) -> list[Recorded]:
        """Record a batch (a kiosk's synced outbox) in one transaction: each file is written once.

        Every rating is checked against :attr:`limits` first: one out of bounds refuses the batch
        (:class:`~shared.ratings.InvalidRating`), so check each with :meth:`check` to refuse only it.
        """
        now = now or self.clock()
        for rating in ratings:
            self.check(rating, now)
        return self._record_batch([_PendingRecord(rating, now) for rating in ratings])

    def _record_batch(self, batch: Sequence[_PendingRecord]) -> list[Recorded]:
        with self.transaction() as tx:
            results: list[Recorded] = []
            fresh: dict[str, Rating] = {}
            followups: dict[str, FollowUp | None] = {}
            opened: dict[str, dict[str, Any]] = {}
            for pending in batch:
                rating = pending.rating
                if rating.id in fresh:
                    results.append(Recorded(fresh[rating.id], followups[rating.id], True))
                    continue
                existing, known = self._lookup_rating(tx, rating.id, rating.ts)
                if existing is not None:
                    results.append(Recorded(existing, self._find_followup(tx, f"fu-{rating.id}", existing), True))
                    continue
                rating = dataclasses.replace(rating, received=rating.received or pending.now)
                rating = self._pair_view(tx, rating, pending.now)
                fresh[rating.id] = rating
                followup = None
                if rating.needs_follow_up:
                    # A crashed earlier attempt may have left it (even resolved since): keep it as it is.
                    # The index is written before the follow-up: an id it never saw has none to find.
                    followup = self._find_followup(tx, f"fu-{rating.id}", rating) if known else None
                    if followup is None:
                        followup = FollowUp.for_rating(rating, now=pending.now, target=self.followup_target)
                        opened[followup.id] = followup.to_record()
                followups[rating.id] = followup
                results.append(Recorded(rating, followup, False))
            if not fresh:
                return results
            days = sorted({rating.ts.date() for rating in fresh.values()})
            shards: dict[str, dict[str, str]] = {}
            for rating in fresh.values():
                day = rating.ts.astimezone(UTC).date().isoformat()
                entry = {"day": day, FOLLOWED_UP: int(followups[rating.id] is not None)}
                shards.setdefault(_id_shard(rating.id), {})[rating.id] = entry
            tx.will_write(
                *([INDEX_START] if self._index_start(tx) is None else []),
                *sorted(shards),
                *(self._partition_name(day) for day in days),
                *sorted({f"summaries/{month_name(day)}" for day in days}),
                *([QUEUE] if opened else []),
            )
            self._start_index(tx)
            for shard, entries in sorted(shards.items()):  # first: a follow-up or rating is never unindexed
                tx.append(shard, "ids", entries)
            if opened:
                put_many(tx.db(QUEUE).table("followups"), opened)
            for day in days:
                self._write_ratings(tx, day, [(None, rating) for rating in fresh.values() if rating.ts.date() == day])
            return results

    def check(self, rating: Rating, now: datetime | None = None) -> None:
        """Raise :class:`~shared.ratings.InvalidRating` if the store would refuse this rating now."""
        check_bounds(rating, now or self.clock(), self.limits)

    def update_rating(self, rating: Rating, *, now: datetime | None = None, reflag: bool = False) -> Recorded:
        """Replace a recorded rating (the customer added reasons, a comment, or changed the answer).

        The follow-up follows: its copy of the details is refreshed, one is opened if
        the answer became unmet, and an active one is closed if it no longer is. An answer
        changed back to unmet always leaves an open follow-up: a closed one is reopened
        (flagged anew, so managers are alerted again), never just refreshed in the archive.
        ``reflag``: the customer said it fell short again, so a closed follow-up reopens even if
        the answer already was unmet.
        """
        now = now or self.clock()
        check_fields(rating)  # the time stays the one recorded, checked then
        with self.transaction() as tx:
            existing = self._find_rating(tx, rating.id, rating.ts)
            if existing is None:
                raise UnknownRating(f"no rating {rating.id} was recorded around {day_name(rating.ts.date())}")
            rating = dataclasses.replace(rating, ts=existing.ts, received=existing.received)
            rating = self._keep_pairing(tx, existing, rating)
            self._write_ratings(tx, rating.ts.date(), [(existing, rating)])
            followup = self._find_followup(tx, f"fu-{rating.id}", rating)
            queue = tx.db(QUEUE).table("followups")
            if followup is None and rating.needs_follow_up:
                followup = FollowUp.for_rating(rating, now=now, target=self.followup_target)
                self._mark_followed_up(tx, rating)
                put(queue, followup.id, followup.to_record())
            elif followup is not None and followup.is_active:
                if rating.needs_follow_up:
                    followup = followup.with_rating(rating)
                    put(queue, followup.id, followup.to_record())
                else:
                    followup = followup.with_rating(rating).resolve(
                        Resolution.NO_ACTION_NEEDED,
                        now,
                        by="system",
                        note=f"the customer changed the answer to {rating.outcome}",
                    )
                    self._archive(tx, followup)
            elif followup is not None and rating.needs_follow_up and (reflag or not existing.needs_follow_up):
                archived = self._archive_table(tx, followup)
                followup = followup.with_rating(rating).reflag(now, target=self.followup_target)
                put(queue, followup.id, followup.to_record())  # first: a crash between leaves it in both, not lost
                remove(archived, [followup.id])
            elif followup is not None:
                followup = followup.with_rating(rating)
                put(self._archive_table(tx, followup), followup.id, followup.to_record())
            return Recorded(rating, followup, False)

    def get_rating(self, rating_id: str, around: datetime) -> Rating | None:
        """The rating with this id, looked up in the partitions of ``around`` and the days beside it."""
        with self.transaction() as tx:
            return self._find_rating(tx, rating_id, around)

    def ratings(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        steps: Callable[[int, int], None] | None = None,
    ) -> Iterator[Rating]:
        """Every rating whose UTC day lies in [since, until], oldest day first.

        Days are read under the lock (a file and its journal must be read together), a few per
        short transaction, but not kept in the cache, so an export of years costs a few days'
        memory at a time. ``steps`` is told ``(days done, days)`` after each slice (a progress bar).
        """
        for record in self.rating_records(since, until, steps=steps):
            yield Rating.from_record(record)

    def rating_records(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        steps: Callable[[int, int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """:meth:`ratings` as the dicts they are stored as (:meth:`Rating.to_record`), for an export
        that would otherwise build every :class:`Rating` only to turn it back into a dict.

        A few days per short transaction (:meth:`in_slices`), not kept in the cache.
        """
        partitions = day_partitions(self.root, since, until)
        for snapshot in self.in_slices(partitions, _snapshot_day, steps=steps, most=DAYS_READ_AT_ONCE):
            yield from _day_records(snapshot())  # parsed with the lock free

    @staticmethod
    def _partition_name(day: date) -> str:
        return partition_name(day)

    def _find_rating(self, tx: Transaction, rating_id: str, around: datetime) -> Rating | None:
        return self._lookup_rating(tx, rating_id, around)[0]

    def _lookup_rating(self, tx: Transaction, rating_id: str, around: datetime) -> tuple[Rating | None, bool]:
        """The rating with this id, whatever its day, and whether its id was ever seen.

        The id index names its day: one small shard is read, not the day's ratings, unless
        the id is there. Ratings from before the index are looked for the old way, in the
        partitions of ``around`` and the days beside it (a source may repeat an answer
        across midnight), but only in days that can hold them.
        """
        entry = self._index_entry(tx, rating_id)
        if entry is not None:
            return self._rating_in(tx, rating_id, date.fromisoformat(entry["day"])), True
        legacy_days = self._legacy_days(tx, around)
        for day in legacy_days:
            rating = self._rating_in(tx, rating_id, day)
            if rating is not None:
                return rating, True
        return None, bool(legacy_days)

    @staticmethod
    def _index_entry(tx: Transaction, rating_id: str) -> dict[str, Any] | None:
        """The id index's entry for a rating: its day, and whether it ever had a follow-up.

        Found in the shard's bytes when the shard is not parsed yet: a fresh process asking once
        about an id parses one entry, not the shard's thousands.
        """
        entry = tx.find_by_id(_id_shard(rating_id), "ids", rating_id, check=_is_index_entry, index=True)
        return None if entry is None else dict(entry)

    def _mark_followed_up(self, tx: Transaction, rating: Rating) -> None:
        """Note in the id index that this rating has a follow-up now (before the follow-up is written)."""
        entry = self._index_entry(tx, rating.id)
        if entry is not None and entry.get(FOLLOWED_UP) == 0:
            tx.append(_id_shard(rating.id), "ids", {rating.id: {**entry, FOLLOWED_UP: 1}})

    def _rating_in(self, tx: Transaction, rating_id: str, day: date) -> Rating | None:
        if not (self.root / f"{self._partition_name(day)}.json").exists():
            return None
        # A repeated id in a fresh process: only its own record is parsed, not the day's thousands.
        record = tx.find_by_id(self._partition_name(day), "ratings", rating_id)
        return None if record is None else Rating.from_record(record)

    def _index_start(self, tx: Transaction) -> str | None:
        """The last day (ISO) that may hold ratings the id index never saw; "" for none, None before the index."""
        start = tx.records(INDEX_START, "index").get("start")
        return None if start is None else str(start["last_unindexed_day"])

    def _start_index(self, tx: Transaction) -> None:
        """Before the first id is indexed, note the last day of ratings recorded without it."""
        if self._index_start(tx) is None:
            partitions = day_partitions(self.root)
            last = partitions[-1][0].isoformat() if partitions else ""
            put(tx.db(INDEX_START).table("index"), "start", {"last_unindexed_day": last})

    def _legacy_days(self, tx: Transaction, around: datetime) -> list[date]:
        """Days near ``around`` that may hold a rating the id index never saw."""
        last = self._index_start(tx)
        middle = around.astimezone(UTC).date()
        days = []
        for offset in (0, -1, 1):
            try:
                days.append(middle + timedelta(days=offset))
            except OverflowError:  # beside 0001-01-01 or 9999-12-31
                continue
        if last is None:  # no index yet: every rating is from before it
            return days
        return [day for day in days if last and day.isoformat() <= last]

    def _write_ratings(self, tx: Transaction, day: date, changes: list[tuple[Rating | None, Rating]]) -> None:
        """Write one day's new or changed ratings (one journal line, fsynced), then its summary."""
        name = self._partition_name(day)
        stamp_before = tx.signature(name)
        tx.append(name, "ratings", {new.id: new.to_record() for _, new in changes})
        self._update_summary(tx, day, stamp_before, changes)

    # -- summaries ----------------------------------------------------------------

    def _update_summary(
        self, tx: Transaction, day: date, stamp_before: list[int] | None, changes: list[tuple[Rating | None, Rating]]
    ) -> None:
        """Adjust the day's hourly counts and stamp them with the partition they now describe.

        If the stamp does not match the partition as it was before this write (a crash
        came between the two files once), the day is recounted instead.
        """
        table = self._summary_table(tx, day)
        key = day.isoformat()
        entry = table.get(doc_id=key)
        if entry is None or entry.get("signature") != stamp_before:
            hours = summarise_records(tx.records(self._partition_name(day), "ratings").values())
        else:
            hours = dict(entry["hours"])
            for old, new in changes:
                if old is not None:
                    hours[hour_of(old)] = apply_change(hours.get(hour_of(old), {}), old, None)
                hours[hour_of(new)] = apply_change(hours.get(hour_of(new), {}), None, new)
        self._store_summary(tx, day, hours)

    def _store_summary(self, tx: Transaction, day: date, hours: dict[str, dict[str, int]]) -> None:
        """Keep a day's counts, stamped with its partition as it is now (derived: not fsynced)."""
        entry = {"day": day.isoformat(), "signature": tx.signature(self._partition_name(day)), "hours": hours}
        tx.append(f"summaries/{month_name(day)}", "days", {day.isoformat(): entry}, durable=False)

    def _summary_table(self, tx: Transaction, day: date) -> Table:
        """This month's summaries. Derived data: not fsynced, and rebuilt if damaged."""
        name = f"summaries/{month_name(day)}"
        table = tx.db(name, durable=False).table("days")
        try:
            table.get(doc_id="")
        except StoreCorrupt:
            tx.discard(name)
        return table

    def daily_summaries(self, since: date, until: date) -> dict[str, dict[str, dict[str, int]]]:
        """Hourly counts for each day in [since, until] that has ratings: ``{day: {hour: counts}}``."""
        return dict(self.each_day_summary(since, until))

    def each_day_summary(
        self, since: date, until: date, *, steps: Callable[[int, int], None] | None = None
    ) -> Iterator[tuple[str, dict[str, dict[str, int]]]]:
        """``(day, {hour: counts})`` for each day in [since, until] with ratings, oldest first.

        A few days per short transaction (:meth:`in_slices`), so a report over years never holds
        the lock for long. A day whose partition changed without its summary (a crash between the two writes, a
        restored backup: new files, new signatures) is recounted from its ratings and repaired.
        """

        def look(tx: Transaction, partition: tuple[date, Path]) -> tuple[date, Any]:
            day, path = partition
            entry = self._summary_table(tx, day).get(doc_id=day.isoformat())
            signature = storage_signature(path)
            if entry is not None and entry.get("signature") == signature:
                return day, entry["hours"]
            return day, (signature, DurableJSONStorage(path).snapshot())  # parsed and counted with the lock free

        recounted: list[tuple[date, list[int] | None, dict[str, dict[str, int]]]] = []
        partitions = day_partitions(self.root, since, until)
        for day, found in self.in_slices(partitions, look, steps=steps, most=DAYS_READ_AT_ONCE):
            if isinstance(found, dict):
                yield day.isoformat(), found
                continue
            signature, snapshot = found
            hours = summarise_records(_day_records(snapshot()))
            recounted.append((day, signature, hours))
            if len(recounted) >= DAYS_READ_AT_ONCE:
                self._keep_recounts(recounted)
            yield day.isoformat(), hours
        self._keep_recounts(recounted)

    def _keep_recounts(self, recounted: list[tuple[date, list[int] | None, dict[str, dict[str, int]]]]) -> None:
        """Keep days' counts made with the lock free, each only if its partition is still the one counted
        (one written meanwhile is recounted next time); ``recounted`` is emptied."""
        if not recounted:
            return
        with self.brief_transaction() as tx:
            for day, signature, hours in recounted:
                if tx.signature(self._partition_name(day)) == signature:
                    self._store_summary(tx, day, hours)
        recounted.clear()

    def each_followup_record(self, since: date | None = None, until: date | None = None) -> Iterator[dict[str, Any]]:
        """Follow-ups created in [since, until] as stored dicts, one short transaction per file.

        The queue is read first, then the archives by month: a follow-up resolved in between is
        seen in both and given once; one reopened in between may be missed (a live export).
        """
        first = since.isoformat() if since else ""
        after = (until + timedelta(days=1)).isoformat() if until else "~"
        queued = self._queue_records()
        seen = {record["id"] for record in queued}
        yield from (record for record in queued if first <= record["created"] < after)
        for path in sorted((self.root / "followups").glob("*.json")):
            if path.stem < first[:7]:
                continue
            with self.brief_transaction():
                snapshot = DurableJSONStorage(path).snapshot()  # not kept in the cache
            tables = snapshot() or {}  # parsed with the lock free: a busy month is 17 MB
            for record in tables.get("followups", {}).values():
                if first <= record["created"] < after and record["id"] not in seen:
                    yield record

    def _queue_records(self) -> list[dict[str, Any]]:
        """The open follow-ups as stored: the live queue as this process keeps it parsed, or else read under
        the lock and parsed with it free (20,000 open follow-ups are 11 MB: a fresh export's first look)."""
        with self.brief_transaction() as tx:
            if tx.parsed(QUEUE):
                return [dict(record) for record in tx.records(QUEUE, "followups").values()]
            snapshot = tx.capture(QUEUE)
        return list((snapshot.parse().tables or {}).get("followups", {}).values())

    def followup_loops(self, since: date, until: date, *, words: bool = False) -> tuple[LoopRows, list[dict[str, Any]]]:
        """What a report needs of the follow-ups created in [since, until] (UTC days), as
        :meth:`each_followup_record` would give them: the loop times of the fell-short ones
        (``(created, claimed_at, resolved_at)`` as stored), and with ``words`` the stored follow-ups
        holding something a customer wrote.

        An archive month inside the period is read from its tally (:mod:`shared.month_tallies`),
        which keeps no customer's words: with ``words`` a month whose follow-ups hold any is read itself.
        """
        first, after = since.isoformat(), (until + timedelta(days=1)).isoformat()
        queued = [r for r in self._queue_records() if first <= r["created"] < after]
        seen = {record["id"] for record in queued}
        loops = LoopRows(_loop_row(record) for record in queued if FollowUp.kind_of(record) is FollowUpKind.FELL_SHORT)
        written = [record for record in queued if month_tallies.has_words(record)] if words else []
        for path in sorted((self.root / "followups").glob("*.json")):
            if path.stem < first[:7]:
                continue
            name = f"followups/{path.stem}"
            tally, records = self._month_tally(name, "followups", first, after, month_tallies.count_followups, words)
            if records is None:
                loops.extend(
                    (created, claimed, resolved)
                    for id_, created, claimed, resolved, short in tally["loops"]
                    if short and id_ not in seen
                )
                continue
            kept = [r for r in records.values() if first <= r["created"] < after and r["id"] not in seen]
            loops.extend(_loop_row(r) for r in kept if FollowUp.kind_of(r) is FollowUpKind.FELL_SHORT)
            written += [r for r in kept if month_tallies.has_words(r)] if words else []
        return loops, written

    # -- follow-ups -----------------------------------------------------------------

    def open_followups(self) -> list[FollowUp]:
        """Open and claimed follow-ups, most urgent first."""
        now = self.clock()
        with self.transaction() as tx:
            records = tx.db(QUEUE).table("followups").all()
        last, parsed = self._parsed_queue, {}
        for record in records:
            known = last.get(record["id"])
            if known is None or known[0] != record:
                known = (record, FollowUp.from_record(record))
            parsed[record["id"]] = known
        self._parsed_queue = parsed
        followups = [followup for _, followup in parsed.values()]
        return sorted(followups, key=lambda followup: followup.urgency_key(now))

    def get_followup(self, followup_id: str) -> FollowUp:
        with self.transaction() as tx:
            followup = self._find_followup(tx, followup_id, None)
        if followup is None:
            raise UnknownFollowUp(f"there is no follow-up {followup_id}")
        return followup

    def reveal(self, followup_id: str, *, by: str, now: datetime | None = None) -> str:
        """The customer's full number, after the reveal is recorded (raises :class:`NoPhoneNumber` if none)."""
        from shared.audit import record_reveal  # the audit trail reads and writes through this store

        with self.transaction():
            followup = self.get_followup(followup_id)
            if followup.contact is None:
                raise NoPhoneNumber(f"follow-up {followup_id}: this customer left no phone number")
            record_reveal(self, followup_id, by=by, now=now or self.clock())
            return followup.contact.phone

    def followup_of(self, rating: Rating) -> FollowUp | None:
        """The follow-up an unmet rating opened (open or resolved), or None."""
        with self.transaction() as tx:
            return self._find_followup(tx, f"fu-{rating.id}", rating)

    def claim(self, followup_id: str, by: str, *, now: datetime | None = None) -> FollowUp:
        """Claim an active follow-up; raises :class:`AlreadyClaimed` if someone else was first."""
        return self._change_active(followup_id, lambda followup, now: followup.claim(by, now), now)

    def resolve(
        self,
        followup_id: str,
        resolution: Resolution,
        *,
        by: str,
        note: str = "",
        now: datetime | None = None,
    ) -> FollowUp:
        def resolve(followup: FollowUp, now: datetime) -> FollowUp:
            return followup.resolve(resolution, now, by=by, note=note)

        return self._change_active(followup_id, resolve, now)

    def escalate(self, followup_id: str, *, now: datetime | None = None) -> FollowUp:
        return self._change_active(followup_id, lambda followup, now: followup.escalate(now), now)

    def reopen(self, followup_id: str, *, now: datetime | None = None) -> FollowUp:
        now = now or self.clock()
        with self.transaction() as tx:
            followup = self._find_followup(tx, followup_id, None)
            if followup is None:
                raise UnknownFollowUp(f"there is no follow-up {followup_id}")
            archived = None if followup.is_active else self._archive_table(tx, followup)
            followup = followup.reopen(now, target=self.followup_target)
            put(tx.db(QUEUE).table("followups"), followup.id, followup.to_record())
            if archived is not None:  # after: a crash between leaves it in both (the queue's wins), not lost
                remove(archived, [followup.id])
            return followup

    def open_to_read(
        self,
        followup_id: str,
        text: str,
        *,
        channel: Channel,
        contact: Contact | None = None,
        station: str = "",
        staff: str = "",
        rating_id: str = "",
        now: datetime | None = None,
    ) -> FollowUp:
        """Put a text nobody could read as an answer in the queue, for a person to read.

        Idempotent by ``followup_id``: a repeated delivery finds the item it opened, as it is now.
        """
        now = now or self.clock()
        with self.transaction() as tx:
            # A repeated delivery comes within hours of the first.
            followup = self._find_followup(tx, followup_id, None, not_before=now - timedelta(days=2))
            if followup is not None:
                return followup
            followup = FollowUp.to_read(
                followup_id,
                text,
                now=now,
                channel=channel,
                contact=contact,
                station=station,
                staff=staff,
                rating_id=rating_id,
                target=self.followup_target,
            )
            put(tx.db(QUEUE).table("followups"), followup.id, followup.to_record())
            return followup

    def add_customer_words(self, followup_id: str, text: str, *, now: datetime | None = None) -> FollowUp:
        """Keep what the customer texted later with their follow-up, open or closed, without changing its state."""
        now = now or self.clock()
        with self.transaction() as tx:
            followup = self._find_followup(tx, followup_id, None)
            if followup is None:
                raise UnknownFollowUp(f"there is no follow-up {followup_id}")
            followup = followup.with_words(text, now)
            table = tx.db(QUEUE).table("followups") if followup.is_active else self._archive_table(tx, followup)
            put(table, followup.id, followup.to_record())
            return followup

    def followups(self, since: date | None = None, until: date | None = None) -> Iterator[FollowUp]:
        """Every follow-up created in [since, until] (UTC days), active and resolved, oldest first."""
        records = self.followup_records(since, until)
        return iter(sorted((FollowUp.from_record(record) for record in records), key=lambda f: f.created))

    def _change_active(
        self,
        followup_id: str,
        change: Callable[[FollowUp, datetime], FollowUp],
        now: datetime | None,
    ) -> FollowUp:
        now = now or self.clock()
        with self.transaction() as tx:
            queue = tx.db(QUEUE).table("followups")
            record = queue.get(doc_id=followup_id)
            if record is None:
                if self._find_followup(tx, followup_id, None) is not None:
                    raise FollowUpError(f"follow-up {followup_id} is already resolved; reopen it first")
                raise UnknownFollowUp(f"there is no follow-up {followup_id}")
            followup = change(FollowUp.from_record(record), now)
            if followup.status is FollowUpStatus.RESOLVED:
                self._archive(tx, followup)
            else:
                put(queue, followup.id, followup.to_record())
            return followup

    def _archive(self, tx: Transaction, followup: FollowUp) -> None:
        """Move a resolved follow-up out of the live queue (archive first: never lost in between).

        Its id index entry comes first of all: an archived follow-up is never unindexed, and an
        entry whose follow-up is not there yet (a crash came between) only names a month to look in.
        """
        tx.will_write(_followup_shard(followup.id), f"followups/{_archive_month(followup)}", QUEUE)  # one feed write
        self._index_archived(tx, followup)
        put(self._archive_table(tx, followup), followup.id, followup.to_record())
        remove(tx.db(QUEUE).table("followups"), [followup.id])

    def _archive_table(self, tx: Transaction, followup: FollowUp) -> Table:
        return tx.db(f"followups/{_archive_month(followup)}").table("followups")

    def _find_followup(
        self, tx: Transaction, followup_id: str, rating: Rating | None, *, not_before: datetime | None = None
    ) -> FollowUp | None:
        """The follow-up in the queue or the archive, reading one month of the archive at most.

        The queue is looked up, not parsed: 20,000 open follow-ups are 10 MB, more than the cache keeps,
        and every text that changes an answer asks it (parsed, they took 145 ms a text).

        The follow-up id index (:meth:`_index_archived`) names the month that holds an archived
        follow-up: an id it does not know is in no month archived since it started, so a new id
        (every unprompted text) reads one small shard and no archive. Months archived before the
        index (``FOLLOWUP_INDEX_START``) are searched the old way, from ``not_before`` (or the
        rating's day: a follow-up is never archived before it opened) on.

        The rating's id index entry says whether it ever had a follow-up: a rating that never had one
        is not looked for at all (see ``FOLLOWED_UP``).
        """
        # Asked on every changed answer: past 32 KiB (a few hundred open), by its offsets, not searched whole.
        record = tx.find_by_id(QUEUE, "followups", followup_id, index=True)
        if record is not None:
            return FollowUp.from_record(record)
        oldest = rating.ts if rating is not None else not_before
        if followup_id.startswith("fu-"):
            entry = self._index_entry(tx, followup_id.removeprefix("fu-"))
            if entry is not None and entry.get(FOLLOWED_UP) == 0:
                return None  # never had one (entries written before the flag say nothing: searched)
            if entry is not None and oldest is None:
                given = date.fromisoformat(entry["day"])
                oldest = datetime(given.year, given.month, given.day, tzinfo=UTC)
        month = self._archived_month(tx, followup_id)
        if month is not None:
            name = f"followups/{month}"  # not found by its bytes: read whole (a damaged month fails loudly)
            found = tx.find_by_id(name, "followups", followup_id) or tx.records(name, "followups").get(followup_id)
            if found is not None:
                return FollowUp.from_record(found)
        return self._find_unindexed_followup(tx, followup_id, oldest)

    def _find_unindexed_followup(self, tx: Transaction, followup_id: str, oldest: datetime | None) -> FollowUp | None:
        """A follow-up archived before the follow-up id index, in the months from ``oldest`` on."""
        last = self._followup_index_start(tx)
        if last == "":
            return None  # every month was archived with the index
        if oldest is not None and oldest.date() > date.min:
            oldest -= timedelta(days=1)  # a rating may be timed minutes after its follow-up opened
        for path in sorted((self.root / "followups").glob("*.json"), reverse=True):
            if last is not None and path.stem > last:
                continue  # archived since the index started: the index would have named it
            if oldest is not None and path.stem < month_name(oldest):
                break
            record = tx.records(f"followups/{path.stem}", "followups").get(followup_id)
            if record is not None:
                return FollowUp.from_record(record)
        return None

    def _archived_month(self, tx: Transaction, followup_id: str) -> str | None:
        """The month whose archive holds this follow-up, as the follow-up id index says (None: not indexed)."""
        entry = tx.find_by_id(
            _followup_shard(followup_id), "followups", followup_id, check=_is_archive_entry, index=True
        )
        return None if entry is None else str(entry["month"])

    def _followup_index_start(self, tx: Transaction) -> str | None:
        """The last month (``YYYY-MM``) that may hold follow-ups archived without the follow-up id index;
        "" for none, None before the index."""
        start = tx.records(FOLLOWUP_INDEX_START, "index").get("start")
        return None if start is None else str(start["last_unindexed_month"])

    def _index_archived(self, tx: Transaction, followup: FollowUp) -> None:
        """Note the month a follow-up is archived in (one journal line); before the first, note the
        last month archived without the index (an old data folder)."""
        if self._followup_index_start(tx) is None:
            months = self.archive_names()
            last = months[-1].removeprefix("followups/") if months else ""
            put(tx.db(FOLLOWUP_INDEX_START).table("index"), "start", {"last_unindexed_month": last})
        tx.append(_followup_shard(followup.id), "followups", {followup.id: {"month": _archive_month(followup)}})

    # -- staff views and their pairs (the perception gap) ---------------------------

    def record_interaction(
        self,
        interaction_id: str,
        view: Outcome,
        *,
        staff: str = "",
        station: str = "",
        touchpoint: str = "",
        prompt: str = "",
        expires_after: timedelta | None = None,
        now: datetime | None = None,
    ) -> Interaction:
        """Keep a staff view until the customer's answer pairs with it (by ``prompt``, else by station
        within :attr:`view_window`, or ``expires_after``). Durable when it returns; returns the view."""
        now = now or self.clock()
        interaction = Interaction(
            id=interaction_id,
            at=now,
            view=view,
            expires=now + (expires_after or self.view_window),
            staff=staff,
            station=station,
            touchpoint=touchpoint,
            prompt=prompt,
        )
        with self.transaction() as tx:
            table = tx.db(VIEWS_OPEN).table("open")
            gone = [str(doc.doc_id) for doc in table.all() if not still_waiting(Interaction.from_record(doc), now)]
            tx.change(VIEWS_OPEN, {"open": ({interaction.id: interaction.to_record()}, gone)})
            table.clear_cache()
        return interaction

    def pairs(self, since: date, until: date) -> list[Pair]:
        """The staff views paired with an answer given in the UTC days [since, until], oldest first.

        Pairs are kept by month of the answer, apart from the ratings: a report reads these, never the ratings.
        """
        first, after = since.isoformat(), (until + timedelta(days=1)).isoformat()
        found: list[Pair] = []
        for path in sorted((self.root / "views").glob("*-*.json")):
            if not (first[:7] <= path.stem <= until.isoformat()[:7]):
                continue
            with self.transaction() as tx:
                records = tx.db(f"views/{path.stem}").table("pairs").all()
            found += [Pair.from_record(record) for record in records if first <= record["rating_ts"] < after]
        return sorted(found, key=lambda pair: pair.rating_ts)

    def pair_tally(self, start: datetime, end: datetime) -> PairTally:
        """The pairs whose answer came in [start, end), counted (see :class:`PairTally`): a month inside the
        period is taken from its tally (:mod:`shared.month_tallies`), an edge month is counted as stored,
        and only the few surprises become :class:`Pair` objects."""
        first, after = utc(start).isoformat(), utc(end).isoformat()
        raw: Counter[tuple[str, str, str, str]] = Counter()
        surprises: list[Pair] = []
        for tally, records in self._month_tallies("views", "pairs", first, after, month_tallies.count_pairs):
            if records is None:
                raw.update({tuple(row[:-1]): row[-1] for row in tally["counts"]})
                surprises += [Pair.from_record(r) for r in tally["surprises"]]
                continue
            kept = [r for r in records.values() if first <= r["rating_ts"] < after]
            raw.update(month_tallies.pair_key(r) for r in kept)
            surprises += [Pair.from_record(r) for r in kept if month_tallies.is_surprise(r)]
        counts = {
            (staff, station, Outcome(view), Outcome(answer)): n for (staff, station, view, answer), n in raw.items()
        }
        return PairTally(counts, tuple(surprises))

    def _month_tallies(
        self, folder: str, table: str, first: str, after: str, count: Callable[[Iterable[dict[str, Any]]], Tally]
    ) -> Iterator[tuple[Tally, dict[str, dict[str, Any]] | None]]:
        """For each month file of [first, after) (ISO times), one transaction each: its tally, and None when the
        tally covers the period, else the records as stored too (an edge month, or no tally yet)."""
        for path in sorted((self.root / folder).glob("*-*.json")):
            if first[:7] <= path.stem <= after[:7]:
                yield self._month_tally(f"{folder}/{path.stem}", table, first, after, count)

    def _month_tally(
        self,
        name: str,
        table: str,
        first: str,
        after: str,
        count: Callable[[Iterable[dict[str, Any]]], Tally],
        words: bool = False,
    ) -> tuple[Tally, dict[str, dict[str, Any]] | None]:
        """One month file's tally, counted again (and kept) when the file changed since (see :meth:`_month_tallies`);
        the records too when the tally does not cover the period, or (``words``) the month holds words."""
        with self.brief_transaction() as tx:
            signature = tx.signature(name)
            tally = month_tallies.read(self.root, name, signature)
            if tally is not None and month_tallies.covers(tally, first, after) and not (words and tally["words"]):
                return tally, None
            snapshot = DurableJSONStorage(self.root / f"{name}.json").snapshot()
        # Parsed and counted with the lock free (a busy month is 17 MB); the tally is stamped with the
        # file as it was read, so if it changed meanwhile the tally is only counted again next time.
        records = (snapshot() or {}).get(table, {})
        if tally is None:
            tally = count(records.values())
            month_tallies.write(self.root, name, signature, tally)
        return tally, records

    def _pair_view(self, tx: Transaction, rating: Rating, now: datetime) -> Rating:
        """Pair a new answer with its staff view, if one waits (one view per interaction); return the
        rating marked with the interaction's id. Costs a file check when no view is open."""
        waiting: list[Interaction] = []
        opened = (self.root / f"{VIEWS_OPEN}.json").exists()
        if opened:
            waiting = [Interaction.from_record(doc) for doc in tx.db(VIEWS_OPEN).table("open").all()]
        interaction = view_for(rating, waiting)
        if interaction is None:
            return rating
        if any(interaction.id == other.id for other in waiting):
            tx.delete(VIEWS_OPEN, "open", [interaction.id])
            tx.db(VIEWS_OPEN).table("open").clear_cache()
        rating = dataclasses.replace(rating, extra={**rating.extra, INTERACTION_KEY: interaction.id})
        pair = Pair.of(interaction, rating)
        tx.append(f"views/{month_name(rating.ts.date())}", "pairs", {interaction.id: pair.to_record()})
        return rating

    def _keep_pairing(self, tx: Transaction, existing: Rating, rating: Rating) -> Rating:
        """A corrected answer keeps its pairing (a kiosk's copy may lack the mark), and its pair follows the
        answer and its reasons (so a report reads the pairs, never the ratings)."""
        interaction = existing.extra.get(INTERACTION_KEY)
        if not interaction:
            return rating
        rating = dataclasses.replace(rating, extra={**rating.extra, INTERACTION_KEY: interaction})
        name = f"views/{month_name(existing.ts.date())}"
        record = tx.db(name).table("pairs").get(doc_id=interaction)
        if record is not None:
            pair = Pair.from_record(record)
            if pair.answered(rating) != pair:
                tx.append(name, "pairs", {interaction: pair.answered(rating).to_record()})
        return rating

    # -- check-backs ("did we make it right?") ---------------------------------------

    def schedule_check_backs(self, checks: Sequence[CheckBack]) -> list[CheckBack]:
        """Keep the check-backs not known yet (one per follow-up, ever); return those that were new."""
        fresh: list[CheckBack] = []
        with self.transaction() as tx:
            for check in checks:
                if tx.db(_check_back_file(check)).table("checkbacks").get(doc_id=check.followup_id) is None:
                    self._write_check_back(tx, check)
                    fresh.append(check)
        return fresh

    def open_check_backs(self) -> list[CheckBack]:
        """Check-backs still to send or still listening for an answer (a small table)."""
        if not (self.root / f"{CHECK_BACKS_OPEN}.json").exists():
            return []
        with self.transaction() as tx:
            return [CheckBack.from_record(record) for record in tx.db(CHECK_BACKS_OPEN).table("open").all()]

    def save_check_back(self, check: CheckBack) -> CheckBack:
        """Keep a check-back's new state (sent, answered, skipped)."""
        with self.transaction() as tx:
            self._write_check_back(tx, check)
        return check

    def check_backs(self, since: date, until: date) -> list[CheckBack]:
        """Check-backs of follow-ups created in the UTC days [since, until]."""
        first, after = since.isoformat(), (until + timedelta(days=1)).isoformat()
        found: list[CheckBack] = []
        for path in sorted((self.root / "checkbacks").glob("*-*.json")):
            if first[:7] <= path.stem <= until.isoformat()[:7]:
                with self.transaction() as tx:
                    records = tx.db(f"checkbacks/{path.stem}").table("checkbacks").all()
                found += [CheckBack.from_record(r) for r in records if first <= r["created"] < after]
        return found

    def check_back_tally(self, start: datetime, end: datetime) -> dict[CheckBackKey, int]:
        """Check-backs of follow-ups created in [start, end), counted as stored (see :data:`CheckBackKey`):
        a month inside the period from its tally (:mod:`shared.month_tallies`)."""
        first, after = utc(start).isoformat(), utc(end).isoformat()
        raw: Counter[tuple[str, bool, str]] = Counter()
        for tally, records in self._month_tallies(
            "checkbacks", "checkbacks", first, after, month_tallies.count_check_backs
        ):
            if records is None:
                raw.update({(code, sent, answer): n for code, sent, answer, n in tally["counts"]})
            else:
                raw.update(month_tallies.check_back_key(r) for r in records.values() if first <= r["created"] < after)
        return {
            (Resolution(code), sent, Outcome(answer) if answer else None): n for (code, sent, answer), n in raw.items()
        }

    def _write_check_back(self, tx: Transaction, check: CheckBack) -> None:
        """The month's record (without the number) first, then the open table (only while it is open)."""
        tx.append(_check_back_file(check), "checkbacks", {check.followup_id: check.to_record(with_phone=False)})
        if check.is_open:
            tx.append(CHECK_BACKS_OPEN, "open", {check.followup_id: check.to_record()})
        elif (self.root / f"{CHECK_BACKS_OPEN}.json").exists():
            tx.delete(CHECK_BACKS_OPEN, "open", [check.followup_id])

    # -- follow-up records for statistics (managers' console) ------------------------

    def followup_records(self, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
        """Follow-ups created in [since, until] (UTC days) as their stored dicts, unparsed.

        For statistics over a year of follow-ups, where building every :class:`FollowUp`
        would cost more than the report. Archive months before ``since`` are not read (a
        follow-up is archived in the month it was resolved, never before it was created),
        so a short period stays cheap however long the history. Read under the lock: a
        follow-up moving between the queue and the archive is seen exactly once.
        """
        first = since.isoformat() if since else ""
        after = (until + timedelta(days=1)).isoformat() if until else "~"
        with self.transaction() as tx:
            records = list(tx.db(QUEUE).table("followups").all())
            for path in sorted((self.root / "followups").glob("*.json")):
                if path.stem >= first[:7]:
                    records.extend(tx.db(f"followups/{path.stem}").table("followups").all())
        # Times are stored as UTC ISO 8601, so comparing the text compares the days.
        return [record for record in records if first <= record["created"] < after]

    # -- hot spots: the last minutes of answers, and the alerts sent for them ---------------

    def ratings_since(self, moment: datetime, *, now: datetime | None = None) -> list[Rating]:
        """Ratings timed after ``moment`` up to ``now`` (a hot-spot window: minutes), oldest first.

        Reads only the day partitions that can hold them (one or two), through the cache; a watcher
        that looks again and again keeps them and asks :meth:`ratings_changed` instead.
        """
        now = now or self.clock()
        return [rating for rating in self.ratings_changed(None, moment, now=now).items if rating.ts <= now]

    def ratings_changed(
        self, mark: WindowMark | None, moment: datetime, *, now: datetime | None = None
    ) -> Changed[Rating]:
        """Ratings recorded or changed since ``mark`` (from the last call), for a watcher that keeps a window.

        Reads only the journal lines the days up to ``now`` gained since the mark. Without one, or when it
        cannot tell what changed (a day read afresh: a restart, a restore, a purge, a folded journal), every
        rating timed after ``moment`` (later than ``now`` too: the window reaches them), and ``complete``.
        """
        now = now or self.clock()
        names = []
        day = moment.date()
        while day <= now.date():
            names.append(self._partition_name(day))
            day += timedelta(days=1)
        mark, stored, gone, complete = self._records_changed(names, "ratings", mark)
        # A time stored in UTC is compared as text to the second first: a full read parses only the minutes.
        earliest = utc(moment).isoformat()[:19]
        found = [
            Rating.from_record(record)
            for record in stored
            if not complete or not (record["ts"].endswith("+00:00") and record["ts"][:19] < earliest)
        ]
        if complete:
            found = [rating for rating in found if rating.ts > moment]
        return Changed(mark, sorted(found, key=lambda rating: rating.ts), gone, complete)

    def _records_changed(
        self, names: list[str], table: str, mark: WindowMark | None
    ) -> tuple[WindowMark, list[dict[str, Any]], frozenset[str], bool]:
        """The documents of ``table`` in the files ``names`` upserted since ``mark`` (each in its last
        version), the keys deleted, and False; or, when it cannot tell, every document and True.

        Only the stored documents under the lock: the caller parses them after, a text waiting for none of it.
        """
        known = dict(mark or ())
        marks: list[tuple[str, tuple[int, int] | None]] = []
        changed: dict[str, dict[str, Any] | None] = {}  # by key: the last version, None when deleted
        complete = mark is None
        with self.transaction() as tx:
            for name in names:
                if not (self.root / f"{name}.json").exists():
                    complete = complete or known.get(name) is not None  # erased (a purge): read the rest anew
                    marks.append((name, None))
                    continue
                if name in known and known[name] is None:  # made since the last look: all of it is new
                    marks.append((name, tx.changes_after(name, None)[0]))
                    changed.update(tx.records(name, table))  # read only: never changed in place
                    continue
                now, changes = tx.changes_after(name, known.get(name))  # a day not seen before: None
                marks.append((name, now))
                if changes is None:
                    complete = True
                for changed_table, (documents, deleted) in () if complete else changes or ():
                    if changed_table == table:
                        changed.update(documents)
                        changed.update(dict.fromkeys(deleted))
            if complete:
                stored = [record for name, at in marks if at is not None for record in tx.records(name, table).values()]
                return tuple(marks), stored, frozenset(), True
        stored = [record for record in changed.values() if record is not None]
        return tuple(marks), stored, frozenset(key for key, record in changed.items() if record is None), False

    def record_spot(self, spot: Spot) -> bool:
        """Keep a hot-spot (or great-streak) alert if it is due (:func:`shared.hot_spots.is_due`: one per window
        and station); True when kept, and then only is it sent. Atomic: two servers send it once."""
        with self.transaction() as tx:
            table = tx.db(SPOTS).table("spots")
            earlier = [Spot.from_record(record) for record in table.all()]
            last = max((e.at for e in earlier if (e.kind, e.station) == (spot.kind, spot.station)), default=None)
            if not is_due(spot, last):
                return False
            old = [f"{e.kind}|{e.station}|{e.at.isoformat()}" for e in earlier if spot.at - e.at > SPOTS_KEPT]
            if old:
                remove(table, old)
            put(table, f"{spot.kind}|{spot.station}|{spot.at.isoformat()}", spot.to_record())
            return True

    def spots_since(self, moment: datetime) -> list[Spot]:
        """Hot-spot and great-streak alerts kept after ``moment``, newest first."""
        with self.transaction() as tx:
            spots = [Spot.from_record(record) for record in tx.db(SPOTS).table("spots").all()]
        return sorted((spot for spot in spots if spot.at > moment), key=lambda spot: spot.at, reverse=True)

    # -- the hooks' outbox: one delivery per event and endpoint, kept until settled ------------

    def enqueue_deliveries(self, deliveries: dict[str, dict[str, Any]]) -> int:
        """Add the deliveries (by key) not already in the outbox, settled or not; return how many were new.

        Keys name the event and the endpoint, so an event found again (after a restart, or on a
        second look at the same change) is never queued twice. Deliveries settled over a week ago go.
        """
        with self.transaction() as tx:
            table = tx.db(HOOKS).table("deliveries")
            fresh = {key: record for key, record in deliveries.items() if table.get(doc_id=key) is None}
            if fresh:
                put_many(table, fresh)
            old = (self.clock() - OUTBOX_KEPT).isoformat()
            stale = [str(r.doc_id) for r in table.all() if r.get("settled_at") and r["settled_at"] < old]
            if stale:
                remove(table, stale)
            return len(fresh)

    def due_deliveries(self, now: datetime, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
        """``(key, delivery)`` not settled and due by ``now``, the longest waiting first."""
        with self.transaction() as tx:
            records = [(str(r.doc_id), dict(r)) for r in tx.db(HOOKS).table("deliveries").all()]
        due = [item for item in records if not item[1].get("settled_at") and item[1]["next_at"] <= now.isoformat()]
        return sorted(due, key=lambda item: (item[1]["next_at"], item[0]))[:limit]

    def update_delivery(self, key: str, changes: dict[str, Any]) -> None:
        """Record an attempt: settled (delivered or given up), or the next try."""
        with self.transaction() as tx:
            table = tx.db(HOOKS).table("deliveries")
            record = table.get(doc_id=key)
            if record is not None:
                put(table, key, {**record, **changes})

    def hook_cursor(self) -> dict[str, Any] | None:
        """Where the hooks' watcher stopped looking (None before its first look)."""
        with self.transaction() as tx:
            record = tx.db(HOOKS).table("state").get(doc_id="cursor")
        return None if record is None else dict(record)

    def set_hook_cursor(self, cursor: dict[str, Any]) -> None:
        with self.transaction() as tx:
            put(tx.db(HOOKS).table("state"), "cursor", cursor)

    def resolved_since(self, moment: datetime) -> list[FollowUp]:
        """Follow-ups resolved after ``moment``, oldest first, from the archive months since then (a watcher
        that looks again and again asks :meth:`resolved_changed` instead, which reads only what changed)."""
        return self.resolved_changed(None, moment).items

    def resolved_changed(
        self, mark: WindowMark | None, moment: datetime, *, now: datetime | None = None
    ) -> Changed[FollowUp]:
        """Follow-ups resolved after ``moment`` and archived (or changed) since ``mark`` (from the last call).

        Reads only the journal lines the archive months gained since the mark, so a watcher's look costs
        what was resolved since, not the month; without a mark, or when it cannot tell (see
        :meth:`ratings_changed`), every one resolved after ``moment``, and ``complete``.
        """
        first = month_name(moment)
        months = {path.stem for path in (self.root / "followups").glob("*.json") if path.stem >= first}
        names = [f"followups/{month}" for month in sorted(months | {month_name(now or self.clock())})]
        mark, stored, gone, complete = self._records_changed(names, "followups", mark)
        found = [
            FollowUp.from_record(record)
            for record in stored
            if record.get("resolved_at") and datetime.fromisoformat(record["resolved_at"]) > moment
        ]
        return Changed(mark, sorted(found, key=lambda f: f.resolved_at or f.created), gone, complete)

    # -- managers' web accounts (shared.door.AccountsDoor) ------------------------------

    def account(self, name: str) -> Account | None:
        with self.transaction() as tx:
            record = tx.db(ACCOUNTS).table("accounts").get(doc_id=name)
        return None if record is None else Account.from_record(record)

    def accounts(self) -> list[Account]:
        with self.transaction() as tx:
            records = tx.db(ACCOUNTS).table("accounts").all()
        return sorted((Account.from_record(record) for record in records), key=lambda account: account.name)

    def save_account(self, account: Account) -> None:
        with self.transaction() as tx:
            put(tx.db(ACCOUNTS).table("accounts"), account.name, account.to_record())

    def save_web_session(self, session: WebSession) -> None:
        """Keep a session; ended and expired ones are dropped here, so the table stays small."""
        with self.transaction() as tx:
            table = tx.db(ACCOUNTS).table("sessions")
            now = self.clock()
            stale = [str(r.doc_id) for r in table.all() if not WebSession.from_record(r).is_live(now)]
            if stale:
                remove(table, stale)
            put(table, session.key, session.to_record())

    def web_session(self, key: str) -> WebSession | None:
        with self.transaction() as tx:
            record = tx.db(ACCOUNTS).table("sessions").get(doc_id=key)
        return None if record is None else WebSession.from_record(record)

    def end_web_session(self, key: str) -> None:
        with self.transaction() as tx:
            table = tx.db(ACCOUNTS).table("sessions")
            if table.get(doc_id=key) is not None:
                remove(table, [key])

    def record_account_event(self, event: AccountEvent) -> None:
        with self.transaction() as tx:
            tx.db(ACCOUNTS_AUDIT).table("actions").insert(Document(event.to_record(), doc_id=uuid.uuid4().hex))

    def account_events(self) -> list[AccountEvent]:
        with self.transaction() as tx:
            records = tx.db(ACCOUNTS_AUDIT).table("actions").all()
        return sorted((AccountEvent.from_record(record) for record in records), key=lambda event: event.at)


ACCOUNTS = "accounts"  # managers' web accounts and sessions
ACCOUNTS_AUDIT = "audit"  # beside the reveals (shared.audit): table "actions"

# The first part of a changed file's name, and what it holds; anything else is a channel's own data.
_FILE_TOPICS = {
    QUEUE: Topic.QUEUE,
    SPOTS: Topic.QUEUE,
    "followups": Topic.FOLLOWUPS,
    "ratings": Topic.RATINGS,
    "ids": Topic.RATINGS,
    "summaries": Topic.RATINGS,
    "audit": Topic.AUDIT,
}


WindowMark = tuple[tuple[str, tuple[int, int] | None], ...]
"""Where a watcher last looked: each file read and its journal's mark (None: the file did not exist)."""


@dataclass(frozen=True, slots=True)
class Changed(Generic[T]):
    """What a watcher's window gained since its last look (:meth:`FeedbackStore.ratings_changed`)."""

    mark: WindowMark  # for the next look
    items: list[T]  # recorded or changed since the last look; every one in the window when ``complete``
    gone: frozenset[str]  # ids erased since the last look (never when ``complete``)
    complete: bool  # the window read anew: what the watcher kept is to be replaced


def _loop_row(record: dict[str, Any]) -> LoopRow:
    return record["created"], record.get("claimed_at") or None, record.get("resolved_at") or None


def _check_back_file(check: CheckBack) -> str:
    """Kept by the month its follow-up was created: found again whatever happens to the follow-up."""
    return f"checkbacks/{month_name(check.created.date())}"


def _snapshot_day(tx: Transaction, partition: tuple[date, Path]) -> Callable[[], dict[str, Any] | None]:
    """A day's file and journal read under the lock (they must be read together), to parse once it is free;
    without the cache (an export of years would fill it)."""
    return DurableJSONStorage(partition[1]).snapshot()


def _day_records(tables: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A day's ratings as stored, by time."""
    return sorted((tables or {}).get("ratings", {}).values(), key=lambda record: record["ts"])


def _archive_month(followup: FollowUp) -> str:
    """The month whose archive keeps a resolved follow-up."""
    return month_name(followup.resolved_at or followup.created)


def _followup_shard(followup_id: str) -> str:
    return f"{FOLLOWUP_IDS}/{zlib.crc32(followup_id.encode()) % ID_SHARDS:03d}"


def _is_archive_entry(document: dict[str, Any]) -> bool:
    """Whether a document found in a follow-up id index shard is an entry."""
    return isinstance(document.get("month"), str)


def _is_index_entry(document: dict[str, Any]) -> bool:
    """Whether a document found in an id index shard is an entry (the shard's other objects are tables)."""
    return isinstance(document.get("day"), str)


def _id_shard(rating_id: str) -> str:
    return f"ids/{zlib.crc32(rating_id.encode()) % ID_SHARDS:03d}"


__all__ = [
    "FeedbackStore",
    "Recorded",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreWriteError",
    "Transaction",
    "UnknownFollowUp",
    "UnknownRating",
]
