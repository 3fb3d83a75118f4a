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
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared.progress import Steps
from shared.ratings import parse_time
from shared.store import FeedbackStore, StoreError, Transaction, summary_name

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
    :data:`RECEIVED_BEFORE_TS`), so the last months' days, today's busy one too, are not read. A few
    files per short transaction, so the lock is never held for long and a rating recorded meanwhile
    is kept; rerunning is harmless.
    A file unchanged since the last purge, holding nothing personal older than the cut-off
    (:data:`STATE`), is skipped without being read, so the daily run costs little.
    """
    cutoff = now - older_than
    totals = {"ratings": 0, "followups": 0, "phones": 0, "comments": 0, "notes": 0, "files": 0, "messages": 0}
    recent = (cutoff + RECEIVED_BEFORE_TS + store.limits.max_future).date()
    with store.brief_transaction() as tx:
        state = tx.records(STATE, "files")
        work: list[tuple[str, date | None]] = [
            (name, day)
            for day, name in store.partition_names()
            if day <= recent and _worth_reading(state.get(name), tx, name, cutoff)
        ]
        # Archives are by month of resolution: an old follow-up may sit in a recent month.
        work += [
            (name, None)
            for name in ["queue", *store.archive_names()]
            if name == "queue" or _worth_reading(state.get(name), tx, name, cutoff)
        ]
    total = len(work) + 1

    def purge_file(tx: Transaction, item: tuple[str, date | None]) -> None:
        name, day = item
        if day is not None:
            oldest = _purge_partition(tx, day, name, cutoff, totals, dry_run)
        else:
            oldest = _purge_followups(tx, name, cutoff, totals, dry_run)
        if not dry_run and name != "queue":
            entry = {"signature": tx.signature(name), "oldest": oldest and oldest.isoformat()}
            tx.append(STATE, "files", {name: entry}, durable=False)

    for _ in store.in_slices(work, purge_file, steps=None if steps is None else lambda done, _: steps(done, total)):
        pass
    # Each channel folds what it erased itself, a few files per short transaction.
    totals["messages"] = sum(purger(store.brief_transaction, cutoff, dry_run) for purger in CHANNEL_PURGERS.values())
    if not dry_run:
        store.checkpoint()  # the write-ahead log's copies of recent changes must not outlive what was erased
    if steps is not None:
        steps(total, total)
    return PurgeReport(cutoff=cutoff, dry_run=dry_run, **totals)


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


def _purge_partition(
    tx: Transaction, day: date, name: str, cutoff: datetime, totals: dict[str, int], dry_run: bool
) -> datetime | None:
    """Purge one day's ratings; return the oldest time personal data is still kept from (None: none left)."""
    records = tx.records(name, "ratings")
    found, oldest = _past_cutoff(records, cutoff, personal_in_rating, rating_kept_since)
    for phone, comment in found.values():
        totals["phones"] += phone
        totals["comments"] += comment
    if found:
        totals["ratings"] += len(found)
        totals["files"] += 1
    if dry_run:
        tx.uncache(name)
        return oldest
    summaries = summary_name(day)
    entry = tx.get(summaries, "days", day.isoformat())
    stamp_was_current = entry is not None and entry.get("signature") == tx.signature(name)
    # One new file with the journal folded in: a rating changed earlier left its old copy there. Not
    # for a day whose answers all came after the cut-off (today's, maybe 50,000): its journal's old
    # copies (a rating's received time never changes) hold nothing to erase either.
    if found or any(rating_kept_since(record) < cutoff for record in records.values()):
        tx.rewrite(name, {"ratings": ({key: {**records[key], **RATING_ERASED} for key in found}, [])})
    if stamp_was_current:
        # The counts do not depend on what was erased: keep them, stamped for the new file (once its
        # journal is cut too: the stamp is the file's and the journal's signature).
        assert entry is not None
        restamped = {day.isoformat(): {**entry, "signature": None}}

        def restamp() -> None:
            restamped[day.isoformat()]["signature"] = tx.signature(name)
            with contextlib.suppress(StoreError):  # derived: if it cannot be written, the day is recounted
                tx.append(summaries, "days", restamped, durable=False)

        tx.after_sync(restamp)
    tx.uncache(name)  # a year of days read once: memory of one day, not of the cache's budget
    return oldest


def _purge_followups(
    tx: Transaction, name: str, cutoff: datetime, totals: dict[str, int], dry_run: bool
) -> datetime | None:
    records = tx.records(name, "followups")
    found, oldest = _past_cutoff(records, cutoff, personal_in_followup, followup_kept_since)
    for phone, comment, note in found.values():
        totals["phones"] += phone
        totals["comments"] += comment
        totals["notes"] += note
    if found:
        totals["followups"] += len(found)
        totals["files"] += 1
    if not dry_run and (found or tx.deletions_in_journal(name)):
        # Follow-ups moved out (resolved, reopened) left old copies in the journal: folded in too. Not a
        # month's archive that only grew (30,000 resolved, 17 MB): its lines hold only what it holds.
        tx.rewrite(name, {"followups": ({key: {**records[key], **FOLLOWUP_ERASED} for key in found}, [])})
    if name != "queue":
        tx.uncache(name)  # a month's archive, read once
    return oldest
