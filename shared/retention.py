"""Retention: erase what identifies a customer once it is older than the shop keeps it.

Phone numbers, comments, the raw text of SMS replies and managers' notes are erased from
ratings and follow-ups older than the cut-off; outcomes, times, stations, staff and reasons
stay, so the hourly counts that statistics read are untouched (each purged day's summary is
re-stamped for its rewritten partition, so it is not recounted either).

What counts is when the server received a rating (``received``) and opened or last
flagged a follow-up (``created``, ``flagged_at``), never the time the customer's device
gave: a kiosk whose clock says 1970 must not have yesterday's answers erased tonight.

Works on the store's files a few per short transaction (:meth:`FeedbackStore.in_slices`), so
every write is durable and announced on the change feed, and no kiosk or text waits long.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.progress import Steps
from shared.ratings import parse_time
from shared.storage import PreparedFold, Snapshot
from shared.store import QUEUE, FeedbackStore, StoreError, Transaction, summary_name

_SPAN = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$")


class InvalidRetention(ValueError):
    """The retention period is not a number of days or weeks."""


def parse_span(text: str) -> timedelta:
    """``"90d"``, ``"12w"`` or ``"90"`` (days) as a timedelta."""
    match = _SPAN.match(text)
    if not match:
        raise InvalidRetention(f"{text!r} is not a period such as 90d (days) or 12w (weeks)")
    number, unit = int(match[1]), match[2] or "d"
    return timedelta(weeks=number) if unit == "w" else timedelta(days=number)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge erased (or, on a dry run, would erase)."""

    cutoff: datetime
    ratings: int = 0
    followups: int = 0
    phones: int = 0
    comments: int = 0
    notes: int = 0
    files: int = 0
    messages: int = 0
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would erase" if self.dry_run else "erased"
        if not (self.ratings or self.followups or self.messages):
            return f"Nothing to erase: no phone number or comment is older than {self.cutoff:%Y-%m-%d %H:%M} UTC."
        return (
            f"{verb.capitalize()} {self.phones} phone number(s), {self.comments} comment(s) and "
            f"{self.notes} manager note(s) from {self.ratings} rating(s) and {self.followups} follow-up(s), "
            f"and {self.messages} channel message(s) (texts received, with their numbers), "
            f"older than {self.cutoff:%Y-%m-%d %H:%M} UTC ({self.files} file(s)). "
            f"Answers and the counts behind statistics are kept."
        )


ChannelPurger = Callable[[Callable[[], AbstractContextManager[Transaction]], datetime, bool], int]
"""Erases a channel's own personal data older than the cut-off (dry run: only counts); returns how much.

Given the store's :meth:`~FeedbackStore.brief_transaction` to open as many short transactions as
it needs: one over all of a channel's files would keep every text and tap waiting meanwhile."""

CHANNEL_PURGERS: dict[str, ChannelPurger] = {}


def register_channel_purger(name: str, purger: ChannelPurger) -> None:
    """Let ``feedback purge`` erase a channel's own files too (the composition root wires them)."""
    CHANNEL_PURGERS[name] = purger


RATING_ERASED: dict[str, Any] = {"contact": None, "comment": "", "raw": ""}
FOLLOWUP_ERASED: dict[str, Any] = {"contact": None, "comment": "", "note": "", "later": []}


def personal_in_rating(record: dict[str, Any]) -> tuple[bool, bool]:
    """Whether a stored rating still holds a phone number / a comment (or the raw reply text)."""
    return bool(record.get("contact")), bool(record.get("comment")) or bool(record.get("raw"))


def personal_in_followup(record: dict[str, Any]) -> tuple[bool, bool, bool]:
    """Whether a stored follow-up still holds a phone number / a comment (or later words) / a manager's note."""
    return bool(record.get("contact")), bool(record.get("comment") or record.get("later")), bool(record.get("note"))


RECEIVED_BEFORE_TS = timedelta(days=7)
"""How much earlier than its own day an answer may have been received, beyond the store's
``max_future`` (how far ahead a device's clock may run): a spooled text keeps its arrival. A partition
whose day starts that long after the cut-off holds nothing to erase, and is not even read (today's,
maybe 50,000 answers)."""

STATE = "retention"
"""What the last purge left in each file: its signature then and the oldest time it still holds
personal data from (derived: a lost or stale entry only means the file is read again)."""


def purge(
    store: FeedbackStore,
    *,
    older_than: timedelta,
    now: datetime,
    dry_run: bool = False,
    steps: Steps | None = None,
) -> PurgeReport:
    """Erase personal details from ratings received, and follow-ups opened, before ``now - older_than``.

    Partitions of days before the cut-off are considered, and a few after it: a rating's day is the
    customer's clock, which may be years behind (never more than ``max_future`` ahead, see
    :data:`RECEIVED_BEFORE_TS`), so the last months' days, today's busy one too, are not read. Each
    file is read under the lock, then parsed and its new file written with the lock free, and put in
    place under the lock again (:func:`_purge_files`), so the lock is never held for long and a rating
    recorded meanwhile is kept; rerunning is harmless.
    A file unchanged since the last purge, holding nothing personal older than the cut-off
    (:data:`STATE`), is skipped without being read, so the daily run costs little.
    """
    cutoff = now - older_than
    totals = {"ratings": 0, "followups": 0, "phones": 0, "comments": 0, "notes": 0, "files": 0, "messages": 0}
    recent = (cutoff + RECEIVED_BEFORE_TS + store.limits.max_future).date()
    with store.brief_transaction() as tx:
        state = tx.records(STATE, "files")
        work = [
            _File(name, day)
            for day, name in store.partition_names()
            if day <= recent and _worth_reading(state.get(name), tx, name, cutoff)
        ]
        # Archives are by month of resolution: an old follow-up may sit in a recent month.
        work += [
            _File(name, None)
            for name in [QUEUE, *store.archive_names()]
            if name == QUEUE or _worth_reading(state.get(name), tx, name, cutoff)
        ]
    total = len(work) + 1
    _purge_files(store, work, cutoff, totals, dry_run, None if steps is None else lambda done: steps(done, total))
    # Each channel folds what it erased itself, a few files per short transaction.
    totals["messages"] = sum(purger(store.brief_transaction, cutoff, dry_run) for purger in CHANNEL_PURGERS.values())
    if not dry_run:
        store.checkpoint()  # the write-ahead log's copies of recent changes must not outlive what was erased
    if steps is not None:
        steps(total, total)
    return PurgeReport(cutoff=cutoff, dry_run=dry_run, **totals)


TRIES = 3
"""Folds prepared with the lock free for one file, each lost to another process changing the file meanwhile
(a busy queue), before the file is purged under the lock as a last resort."""
GROUP_BYTES = 16 * 1024 * 1024
GROUP_FILES = 32
"""Files read under the lock before they are parsed with it free (their bytes are held until then): a
few short transactions read a group, one more puts the group's new files in place."""


@dataclass(frozen=True, slots=True)
class _File:
    """A file to purge: a day's ratings, or (``day`` None) follow-ups: the queue, a month's archive."""

    name: str
    day: date | None
    tries: int = 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What a file held to erase, read from one version of it, and its new file (None: nothing to write)."""

    file: _File
    signature: list[int] | None  # of the version read
    counts: dict[str, int]  # for the report, once the new file is in place
    oldest: datetime | None  # personal data still kept from (None: none left)
    fold: PreparedFold | None


def _purge_files(
    store: FeedbackStore,
    files: list[_File],
    cutoff: datetime,
    totals: dict[str, int],
    dry_run: bool,
    steps: Callable[[int], None] | None,
) -> None:
    """Purge ``files`` a group at a time: read under the lock (a few short transactions), parsed and their
    new files written and fsynced with it free, then renamed into place in one more short transaction if
    unchanged meanwhile (:meth:`DurableJSONStorage.install`). A file another process changed in between is
    read again; after ``TRIES``, read and rewritten under the lock."""
    waiting = deque(files)
    done = 0
    while waiting:
        group = _group(store, waiting)
        prepared: list[_Prepared] = []
        try:
            if group[0].tries >= TRIES:
                with store.brief_transaction() as tx:
                    prepared.append(_prepare(group[0], tx.capture(group[0].name), cutoff, dry_run))
                    installed = [dry_run or _install(tx, prepared[0])]
            else:
                snapshots: list[Snapshot | None] = list(store.in_slices(group, lambda tx, file: tx.capture(file.name)))
                for index, file in enumerate(group):
                    snapshot, snapshots[index] = snapshots[index], None  # its bytes dropped once parsed
                    assert snapshot is not None
                    prepared.append(_prepare(file, snapshot, cutoff, dry_run))
                    if steps is not None:
                        steps(done + index + 1)
                # The queue with nothing to erase needs nothing more; every other file at least its state.
                due = [item for item in prepared if not dry_run and (item.fold or item.file.name != QUEUE)]
                outcomes = dict(zip(map(id, due), store.in_slices(due, _install), strict=True))
                installed = [outcomes.get(id(item), True) for item in prepared]
        finally:
            for item in prepared:  # a new file not put in place (a failure half-way) is not left behind
                if item.fold is not None:
                    item.fold.discard()
        for item, done_now in zip(prepared, installed, strict=True):
            if done_now:
                for key, count in item.counts.items():
                    totals[key] += count
                done += 1
            else:
                waiting.append(_File(item.file.name, item.file.day, item.file.tries + 1))
        if steps is not None:
            steps(done)


def _group(store: FeedbackStore, waiting: deque[_File]) -> list[_File]:
    """The next files to read together: up to ``GROUP_BYTES`` (as their sizes are now) and ``GROUP_FILES``;
    one alone when it is to be purged under the lock."""
    group = [waiting.popleft()]
    size = _size(store, group[0])
    while waiting and group[0].tries < TRIES and waiting[0].tries < TRIES and len(group) < GROUP_FILES:
        size += _size(store, waiting[0])
        if size > GROUP_BYTES:
            break
        group.append(waiting.popleft())
    return group


def _size(store: FeedbackStore, file: _File) -> int:
    path = store.root / f"{file.name}.json"
    return sum(found.st_size for found in map(_stat, (path, path.with_name(path.name + ".log"))) if found)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _prepare(file: _File, snapshot: Snapshot, cutoff: datetime, dry_run: bool) -> _Prepared:
    """Find what ``snapshot`` holds to erase and (unless ``dry_run``) write its new file: no lock needed."""
    parsed = snapshot.parse()
    tables = parsed.tables or {}
    counts: dict[str, int] = {}
    if file.day is not None:
        records = tables.get("ratings", {})
        found, oldest = _past_cutoff(records, cutoff, personal_in_rating, rating_kept_since)
        counts["ratings"] = len(found)
        changes = {"ratings": ({key: {**records[key], **RATING_ERASED} for key in found}, [])}
        # The journal folded in too: a rating changed earlier left its old copy there. Not for a day whose
        # answers all came after the cut-off (today's, maybe 50,000): its journal's old copies (a rating's
        # received time never changes) hold nothing to erase either.
        fold = bool(found) or (
            parsed.journal_bytes > 0 and any(rating_kept_since(record) < cutoff for record in records.values())
        )
        kinds = ("phones", "comments")
    else:
        records = tables.get("followups", {})
        found, oldest = _past_cutoff(records, cutoff, personal_in_followup, followup_kept_since)
        counts["followups"] = len(found)
        changes = {"followups": ({key: {**records[key], **FOLLOWUP_ERASED} for key in found}, [])}
        # Follow-ups moved out (resolved, reopened) left old copies in the journal: folded in too. Not a
        # month's archive that only grew (30,000 resolved, 17 MB): its lines hold only what it holds.
        fold = bool(found) or parsed.deletions > 0
        kinds = ("phones", "comments", "notes")
    for held in found.values():
        for kind, present in zip(kinds, held, strict=True):
            counts[kind] = counts.get(kind, 0) + present
    counts["files"] = 1 if found else 0
    prepared = snapshot.fold(parsed, changes) if fold and not dry_run else None
    return _Prepared(file, snapshot.signature, counts, oldest, prepared)


def _install(tx: Transaction, item: _Prepared) -> bool:
    """Put a file's new version in place and note what it still holds (:data:`STATE`), if the file is still the
    version read; False (nothing changed) if another process changed it since."""
    name, day = item.file.name, item.file.day
    restamp: dict[str, Any] | None = None
    if item.fold is not None and day is not None:
        # A day's counts do not depend on what was erased: a current summary is stamped for the new file
        # (once its journal is cut too: the stamp is the file's and the journal's signature).
        entry = tx.get(summary_name(day), "days", day.isoformat())
        if entry is not None and entry.get("signature") == item.signature:
            restamp = entry
    if item.fold is not None and not tx.install(name, item.fold):
        return False

    def note() -> None:
        signature = item.signature if item.fold is None else tx.signature(name)
        if restamp is not None and day is not None:
            with contextlib.suppress(StoreError):  # derived: if it cannot be written, the day is recounted
                tx.append(
                    summary_name(day), "days", {day.isoformat(): {**restamp, "signature": signature}}, durable=False
                )
        if name != QUEUE:
            entry = {"signature": signature, "oldest": item.oldest and item.oldest.isoformat()}
            tx.append(STATE, "files", {name: entry}, durable=False)

    if item.fold is None:
        note()  # (a change since the version read makes its signature differ: the file is read next time)
    else:
        tx.after_sync(note)
    return True


def _worth_reading(entry: dict[str, Any] | None, tx: Transaction, name: str, cutoff: datetime) -> bool:
    """Whether a file may hold personal data older than ``cutoff``: unknown, changed, or old enough."""
    if entry is None or entry.get("signature") != tx.signature(name):
        return True
    oldest = entry.get("oldest")
    return oldest is not None and parse_time(oldest) < cutoff


def rating_kept_since(record: dict[str, Any]) -> datetime:
    """When the server received a stored rating (its answer time for ratings from before ``received``)."""
    return parse_time(record.get("received") or record["ts"])


def followup_kept_since(record: dict[str, Any]) -> datetime:
    """When the server opened a stored follow-up, or the customer last flagged it."""
    created = parse_time(record["created"])
    flagged = record.get("flagged_at")
    return max(created, parse_time(flagged)) if flagged else created


def _past_cutoff(
    records: Mapping[str, dict[str, Any]],
    cutoff: datetime,
    personal: Callable[[dict[str, Any]], tuple[bool, ...]],
    kept_since: Callable[[dict[str, Any]], datetime],
) -> tuple[dict[str, tuple[bool, ...]], datetime | None]:
    """The records (by key) holding personal data kept since before ``cutoff`` (key → what they hold),
    and the oldest time personal data is still kept from in the others (None: none left)."""
    found: dict[str, tuple[bool, ...]] = {}
    oldest: datetime | None = None
    for key, record in records.items():
        held = personal(record)
        if not any(held):
            continue
        since = kept_since(record)
        if since >= cutoff:
            oldest = since if oldest is None else min(oldest, since)
        else:
            found[key] = held
    return found, oldest
