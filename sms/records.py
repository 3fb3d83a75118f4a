"""The SMS channel's own data, kept by the store under its lock (:class:`shared.door.ChannelData`).

Collections are cut so that handling one message changes one small collection, whatever the
history (the store keeps each as a file; this module never names one)::

    sms                     opt-outs (keyed by number): few, kept for good; which alerts are on
    sms/numbers/NNN         256 shards by the number's hash, two tables: ``numbers``, one small
                            document per number (its current conversation, when it was last
                            prompted); ``messages``, every message it sent (raw text, what we
                            did, the reply) for the retention period, one document each
    sms/prompts/YYYY-MM-DD  every prompt sent, keyed by Twilio sid (status callbacks; no number)
    sms/alerts/YYYY-MM      alerts sent, by the month the customer (last) flagged the follow-up

A message is written once, as one change with its number's state: a text costs the
same however many the number sent before. Changes to a number are gathered and written
once, when the block ends::

    with store.transaction() as tx, SmsRecords(tx) as records:
        ...
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from shared.door import ChannelData
from shared.ratings import parse_time, utc
from sms.conversations import Conversation

DB = "sms"
NUMBER_SHARDS = 256
# Twilio retries and status callbacks come within hours: today and the day before are searched.
LOOK_BACK_DAYS = 2
DEFAULT_RETENTION = timedelta(days=90)
SWEPT = "swept"  # the table (and key) of the day a shard was last pruned
# The longest a purge works on shards before letting a text or a tap in (it takes the lock again after).
PURGE_SLICE_SECONDS = 0.02
BriefTransactions = Callable[[], AbstractContextManager[ChannelData]]


def _shard(key: str, shards: int) -> int:
    return zlib.crc32(key.encode()) % shards


def shard_name(phone: str) -> str:
    return f"sms/numbers/{_shard(phone, NUMBER_SHARDS):03d}"


class SmsRecords:
    """Reads and writes of the SMS channel's tables, within one store transaction.

    Per-number changes are kept in memory and written by :meth:`flush` (on leaving the
    ``with`` block without an error): one durable journal line per number, however many changes.
    Once a day per shard, that write also drops numbers idle for longer than ``retention``
    and messages older than it.
    """

    def __init__(self, tx: ChannelData, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._tx = tx
        self._retention = retention
        self._docs: dict[str, dict[str, Any]] = {}
        self._new_messages: dict[str, dict[str, dict[str, Any]]] = {}
        self._dirty: set[str] = set()

    def __enter__(self) -> SmsRecords:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.flush()

    # -- per-number documents ----------------------------------------------------------

    def _doc(self, phone: str) -> dict[str, Any]:
        doc = self._docs.get(phone)
        if doc is None:
            doc = self._tx.get(shard_name(phone), "numbers", phone, check=_number_check(phone)) or {"phone": phone}
            self._docs[phone] = doc
            legacy = doc.pop("messages", None)
            if legacy:  # written before messages had a table of their own: moved there on this write
                self._new_messages[phone] = {sid: {**m, "_phone": phone, "_sid": sid} for sid, m in legacy.items()}
                self._dirty.add(phone)
        return doc

    def _change(self, phone: str, now: datetime, **fields: Any) -> None:
        doc = self._doc(phone)
        doc.update(fields, updated=utc(now).isoformat())
        self._dirty.add(phone)

    def flush(self) -> None:
        """Write every changed number with its new messages: one journal line per number."""
        for phone in sorted(self._dirty):
            doc = self._docs[phone]
            messages = {_message_key(phone, sid): m for sid, m in self._new_messages.get(phone, {}).items()}
            swept = self._sweep(phone, doc)
            gone_numbers, gone_messages = swept or ([], [])
            changes = {
                "numbers": ({phone: doc}, [number for number in gone_numbers if number != phone]),
                "messages": (messages, [key for key in gone_messages if key not in messages]),
            }
            if swept is not None:  # the day's sweep noted (only then: a lookup of it searches fewer lines)
                changes[SWEPT] = ({SWEPT: {"day": doc["updated"][:10]}}, [])
            # One fsynced journal line, however large the shard (see shared.storage).
            self._tx.change(shard_name(phone), changes)
        self._dirty.clear()
        self._new_messages.clear()

    def _sweep(self, phone: str, doc: dict[str, Any]) -> tuple[list[str], list[str]] | None:
        """Numbers idle past retention and messages older than it in this number's shard, once a day
        (None: swept today already).

        Once a day, not on every write: a scan of the shard would make a text cost more as it fills.
        """
        swept = self._tx.get(shard_name(phone), SWEPT, SWEPT, check=_is_swept_mark)
        if swept is not None and swept.get("day") == doc["updated"][:10]:
            return None
        cutoff = (parse_time(doc["updated"]) - self._retention).isoformat()
        shard = shard_name(phone)
        numbers = [key for key, d in self._tx.records(shard, "numbers").items() if d.get("updated", "") < cutoff]
        gone = set(numbers)
        messages = [
            key for key, m in self._tx.records(shard, "messages").items() if m["at"] < cutoff or m["_phone"] in gone
        ]
        self._tx.uncache(shard)  # read whole once a day: not kept (256 shards are more than the cache holds)
        return numbers, messages

    # -- opt-outs ------------------------------------------------------------------

    def is_opted_out(self, phone: str) -> bool:
        return self._tx.get(DB, "optouts", phone) is not None

    def opt_out(self, phone: str, now: datetime, source: str) -> bool:
        """Record an opt-out (and end the number's conversation); False if it had already opted out."""
        if self.is_opted_out(phone):
            return False
        record = {"phone": phone, "since": utc(now).isoformat(), "source": source}
        self._tx.change(DB, {"optouts": ({phone: record}, [])})
        self.end_conversation(phone, now)
        return True

    def opt_in(self, phone: str) -> bool:
        """Remove an opt-out; False if the number was not opted out."""
        if not self.is_opted_out(phone):
            return False
        self._tx.change(DB, {"optouts": ({}, [phone])})
        return True

    # -- conversations and prompts ---------------------------------------------------

    def conversation(self, phone: str) -> Conversation | None:
        record = self._doc(phone).get("conversation")
        return None if not record else Conversation.from_record(record)

    def save_conversation(self, conversation: Conversation, now: datetime | None = None) -> None:
        self._change(conversation.phone, now or conversation.opened, conversation=conversation.to_record())

    def end_conversation(self, phone: str, now: datetime) -> None:
        if self._doc(phone).get("conversation"):
            self._change(phone, now, conversation=None)

    def last_prompted(self, phone: str) -> datetime | None:
        at = self._doc(phone).get("last_prompted")
        return None if not at else parse_time(at)

    def set_last_prompted(self, phone: str, at: datetime | None, now: datetime) -> None:
        self._change(phone, now, last_prompted=None if at is None else utc(at).isoformat())

    def save_prompt(self, sid: str, record: dict[str, Any]) -> None:
        """A prompt sent, keyed by its Twilio sid (status callbacks name it), in the day it was sent."""
        day = parse_time(record["at"])
        self._tx.change(_prompts(day), {"prompts": ({sid: record}, [])})

    def prompt(self, sid: str, around: datetime) -> dict[str, Any] | None:
        moment = utc(around)
        for back in range(LOOK_BACK_DAYS):
            day = moment - timedelta(days=back)
            record = self._tx.get(_prompts(day), "prompts", sid)
            if record is not None:
                return record
        return None

    # -- inbound messages ---------------------------------------------------------------

    def message(self, phone: str, sid: str) -> dict[str, Any] | None:
        """A message from this number already handled (a repeated delivery), with the reply it got."""
        self._doc(phone)
        found = self._new_messages.get(phone, {}).get(sid)
        if found is None:
            found = self._tx.get(
                shard_name(phone), "messages", _message_key(phone, sid), check=_message_check(phone, sid)
            )
        return None if found is None else _without_keys(found)

    def messages(self, phone: str) -> list[dict[str, Any]]:
        """Every message kept from this number, oldest first (reads its whole shard: not for a hot path)."""
        self._doc(phone)
        stored = self._tx.records(shard_name(phone), "messages").values()
        found = {m["_sid"]: m for m in stored if m["_phone"] == phone}
        found.update(self._new_messages.get(phone, {}))
        return sorted((_without_keys(m) for m in found.values()), key=lambda message: message["at"])

    def save_message(self, phone: str, sid: str, now: datetime, record: dict[str, Any]) -> None:
        self._doc(phone)
        self._new_messages.setdefault(phone, {})[sid] = {
            **record,
            "at": utc(now).isoformat(),
            "_phone": phone,  # the shard's table holds every number's messages: whose, and which
            "_sid": sid,
        }
        self._change(phone, now)

    # -- alerts ---------------------------------------------------------------------------

    @staticmethod
    def _alerts(flagged: datetime) -> str:
        return f"sms/alerts/{utc(flagged):%Y-%m}"

    def alerted(self, followup_id: str, flagged: datetime, kind: str) -> bool:
        """Whether this alert went out for the follow-up's latest flag (a re-flag is alerted anew).

        Records from before re-flags carry only the time sent, which is after the one flag they had.
        """
        record = self._tx.get(self._alerts(flagged), "alerts", f"{kind}:{followup_id}")
        return record is not None and parse_time(record.get("flagged") or record["at"]) >= utc(flagged)

    def mark_alerted(self, followup_id: str, flagged: datetime, kind: str, now: datetime) -> None:
        record = {
            "followup": followup_id,
            "kind": kind,
            "flagged": utc(flagged).isoformat(),
            "at": utc(now).isoformat(),
        }
        self._tx.change(self._alerts(flagged), {"alerts": ({f"{kind}:{followup_id}": record}, [])})

    def unmark_alerted(self, followup_id: str, flagged: datetime, kind: str) -> None:
        key = f"{kind}:{followup_id}"
        if self._tx.get(self._alerts(flagged), "alerts", key) is not None:
            self._tx.change(self._alerts(flagged), {"alerts": ({}, [key])})

    def alerts_enabled(self, kind: str) -> bool | None:
        """Whether this kind of alert had anyone to text when last checked (None: never checked)."""
        found = self._tx.get(DB, "alerting", kind)
        return None if found is None else bool(found["enabled"])

    def set_alerts_enabled(self, kind: str, enabled: bool, now: datetime) -> None:
        record = {"kind": kind, "enabled": enabled, "since": utc(now).isoformat()}
        self._tx.change(DB, {"alerting": ({kind: record}, [])})


def _number_check(phone: str) -> Callable[[dict[str, Any]], bool]:
    """How a number's document is told from any other object of its shard (see ChannelData.get)."""
    return lambda document: document.get("phone") == phone


def _message_check(phone: str, sid: str) -> Callable[[dict[str, Any]], bool]:
    return lambda document: document.get("_phone") == phone and document.get("_sid") == sid


def _is_swept_mark(document: dict[str, Any]) -> bool:
    """The day's sweep mark (``{"day": ...}``), not its table (``{"swept": {...}}``), whose key it shares."""
    return set(document) == {"day"}


PURGED = "sms/purged"
"""What the last purge left in each shard: the oldest time it still held a message or an idle number
from (None: nothing), and when that purge ran (derived: a lost entry only means the shard is read again)."""
WRITTEN_BEFORE_NOW = timedelta(days=7)
"""How much older than the moment it is written a message or a number's change may be: a text
spooled while the store was busy keeps its arrival time. A shard written to since a purge holds
nothing from before that purge's time less this, so it need not be read when the cut-off is earlier."""


def purge_messages(transaction: BriefTransactions, cutoff: datetime, dry_run: bool) -> int:
    """Erase texts received before ``cutoff`` and numbers idle since then (``feedback purge``).

    Opt-outs are kept for good: a number that said STOP must never be texted again.
    Erased means gone from the disk: each shard changed is folded into a new file.
    A few shards per short transaction (``transaction``: the store's brief one), never all 256
    at once, so a text or a tap meanwhile waits for a few milliseconds' work at most. A shard whose
    oldest time at the last purge (:data:`PURGED`) is after the cut-off, and written since only after
    it, is not read: the daily purge reads none. Returns how many messages were (or would be) erased.
    """
    limit = utc(cutoff).isoformat()
    now = datetime.now(UTC)
    with transaction() as tx:
        purged = dict(tx.records(PURGED, "shards"))
    names = [
        name
        for name in (f"sms/numbers/{shard:03d}" for shard in range(NUMBER_SHARDS))
        if _worth_reading(purged.get(name), utc(cutoff))
    ]
    erased = 0
    while names:
        with transaction() as tx:
            deadline = time.monotonic() + PURGE_SLICE_SECONDS
            done: dict[str, dict[str, Any]] = {}
            while names and (not done or time.monotonic() < deadline):  # at least one, however slow
                name = names.pop(0)
                count, oldest = _purge_shard(tx, name, limit, dry_run)
                erased += count
                done[name] = {"oldest": oldest, "at": now.isoformat()}
            if not dry_run:
                tx.change(PURGED, {"shards": (done, [])}, durable=False)
    return erased


def _worth_reading(entry: dict[str, Any] | None, cutoff: datetime) -> bool:
    """Whether a shard may hold a message or an idle number from before ``cutoff`` (see :data:`PURGED`)."""
    if entry is None or parse_time(entry["at"]) - WRITTEN_BEFORE_NOW < cutoff:
        return True  # never purged, or written since with times that may come before the cut-off
    return entry["oldest"] is not None and parse_time(entry["oldest"]) < cutoff


def _purge_shard(tx: ChannelData, name: str, limit: str, dry_run: bool) -> tuple[int, str | None]:
    """Erase one shard's messages from before ``limit`` and its numbers idle since: how many messages,
    and the oldest time it still holds a message or a number's last change from (None: nothing)."""
    if not tx.exists(name):
        return 0, None
    erased = 0
    idle, trimmed = [], {}
    kept: list[str] = []
    for key, doc in tx.records(name, "numbers").items():
        legacy = doc.get("messages", {})  # written before messages had a table of their own
        old = [sid for sid, message in legacy.items() if message["at"] < limit]
        erased += len(old)
        if doc.get("updated", "") < limit:
            idle.append(key)
            continue
        kept += [doc.get("updated", ""), *(m["at"] for m in legacy.values() if m["at"] >= limit)]
        if old:
            trimmed[key] = {**doc, "messages": {s: m for s, m in legacy.items() if m["at"] >= limit}}
    old_messages = []
    for key, message in tx.records(name, "messages").items():
        if message["at"] < limit:
            old_messages.append(key)
        else:
            kept.append(message["at"])
    erased += len(old_messages)
    if not dry_run and (idle or trimmed or old_messages):
        # Erased means gone from the disk, not only from the journal's replay: one new file.
        tx.erase(name, {"numbers": (trimmed, idle), "messages": ({}, old_messages)})
    tx.uncache(name)  # 256 shards read once: not kept, so a purge's memory is one shard's
    return erased, min(kept, default=None)


def _prompts(day: datetime) -> str:
    return f"sms/prompts/{day:%Y-%m-%d}"


def _message_key(phone: str, sid: str) -> str:
    return f"{phone} {sid}"


def _without_keys(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key not in ("_phone", "_sid")}
