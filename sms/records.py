"""The SMS channel's own data, kept in the store's data directory under its lock.

Files are cut so that handling one message rewrites one small file, whatever the history::

    sms.json                     opt-outs (keyed by number): few, kept for good
    sms/numbers/NNN.json         one document per number (256 shards by hash): its current
                                 conversation, when it was last prompted, and every message it
                                 sent (raw text, what we did, the reply) for the retention period
    sms/prompts/YYYY-MM-DD.json  every prompt sent, keyed by Twilio sid (status callbacks; no number)
    sms/alerts/YYYY-MM.json      alerts sent, by the month the customer (last) flagged the follow-up

Changes to a number are gathered and written once, when the block ends::

    with store.transaction() as tx, SmsRecords(tx) as records:
        ...
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from tinydb.table import Table

from shared.files import put
from shared.ratings import parse_time, utc
from shared.store import Transaction
from sms.conversations import Conversation

DB = "sms"
NUMBER_SHARDS = 256
# Twilio retries and status callbacks come within hours: today and the day before are searched.
LOOK_BACK_DAYS = 2
DEFAULT_RETENTION = timedelta(days=90)


def _shard(key: str, shards: int) -> int:
    return zlib.crc32(key.encode()) % shards


def shard_name(phone: str) -> str:
    return f"sms/numbers/{_shard(phone, NUMBER_SHARDS):03d}"


class SmsRecords:
    """Reads and writes of the SMS channel's tables, within one store transaction.

    Per-number changes are kept in memory and written by :meth:`flush` (on leaving the
    ``with`` block without an error): one durable journal line per number, however many changes.
    Numbers idle for longer than ``retention`` are dropped from their shard on that write.
    """

    def __init__(self, tx: Transaction, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._tx = tx
        self._retention = retention
        self._docs: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()

    def __enter__(self) -> SmsRecords:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.flush()

    # -- per-number documents ----------------------------------------------------------

    def _numbers(self, phone: str) -> Table:
        return self._tx.db(shard_name(phone)).table("numbers")

    def _doc(self, phone: str) -> dict[str, Any]:
        doc = self._docs.get(phone)
        if doc is None:
            stored = self._numbers(phone).get(doc_id=phone)
            doc = dict(stored) if stored is not None else {"phone": phone}
            doc.setdefault("messages", {})
            self._docs[phone] = doc
        return doc

    def _change(self, phone: str, now: datetime, **fields: Any) -> None:
        doc = self._doc(phone)
        doc.update(fields, updated=utc(now).isoformat())
        self._dirty.add(phone)

    def flush(self) -> None:
        """Write every changed number, dropping idle numbers and old messages from the same shard."""
        for phone in sorted(self._dirty):
            doc = self._docs[phone]
            cutoff = (parse_time(doc["updated"]) - self._retention).isoformat()
            doc["messages"] = {sid: m for sid, m in doc["messages"].items() if m["at"] >= cutoff}
            table = self._numbers(phone)
            idle = [str(d.doc_id) for d in table.all() if d.get("updated", "") < cutoff and d.doc_id != phone]
            if idle:
                table.remove(doc_ids=idle)
            # One fsynced journal line, however large the shard (see shared.storage).
            self._tx.append(shard_name(phone), "numbers", {phone: doc})
        self._dirty.clear()

    # -- opt-outs ------------------------------------------------------------------

    def is_opted_out(self, phone: str) -> bool:
        return self._tx.db(DB).table("optouts").contains(doc_id=phone)

    def opt_out(self, phone: str, now: datetime, source: str) -> bool:
        """Record an opt-out (and end the number's conversation); False if it had already opted out."""
        if self.is_opted_out(phone):
            return False
        record = {"phone": phone, "since": utc(now).isoformat(), "source": source}
        put(self._tx.db(DB).table("optouts"), phone, record)
        self.end_conversation(phone, now)
        return True

    def opt_in(self, phone: str) -> bool:
        """Remove an opt-out; False if the number was not opted out."""
        if not self.is_opted_out(phone):
            return False
        self._tx.db(DB).table("optouts").remove(doc_ids=[phone])
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
        put(self._tx.db(f"sms/prompts/{day:%Y-%m-%d}").table("prompts"), sid, record)

    def prompt(self, sid: str, around: datetime) -> dict[str, Any] | None:
        moment = utc(around)
        for back in range(LOOK_BACK_DAYS):
            day = moment - timedelta(days=back)
            record = self._tx.db(f"sms/prompts/{day:%Y-%m-%d}").table("prompts").get(doc_id=sid)
            if record is not None:
                return dict(record)
        return None

    # -- inbound messages ---------------------------------------------------------------

    def message(self, phone: str, sid: str) -> dict[str, Any] | None:
        """A message from this number already handled (a repeated delivery), with the reply it got."""
        found = self._doc(phone)["messages"].get(sid)
        return None if found is None else dict(found)

    def messages(self, phone: str) -> list[dict[str, Any]]:
        """Every message kept from this number, oldest first."""
        return sorted(self._doc(phone)["messages"].values(), key=lambda message: message["at"])

    def save_message(self, phone: str, sid: str, now: datetime, record: dict[str, Any]) -> None:
        messages = dict(self._doc(phone)["messages"])
        messages[sid] = {**record, "at": utc(now).isoformat()}
        self._change(phone, now, messages=messages)

    # -- alerts ---------------------------------------------------------------------------

    def _alerts(self, flagged: datetime) -> Table:
        return self._tx.db(f"sms/alerts/{utc(flagged):%Y-%m}").table("alerts")

    def alerted(self, followup_id: str, flagged: datetime, kind: str) -> bool:
        """Whether this alert went out for the follow-up's latest flag (a re-flag is alerted anew).

        Records from before re-flags carry only the time sent, which is after the one flag they had.
        """
        record = self._alerts(flagged).get(doc_id=f"{kind}:{followup_id}")
        return record is not None and parse_time(record.get("flagged") or record["at"]) >= utc(flagged)

    def mark_alerted(self, followup_id: str, flagged: datetime, kind: str, now: datetime) -> None:
        record = {
            "followup": followup_id,
            "kind": kind,
            "flagged": utc(flagged).isoformat(),
            "at": utc(now).isoformat(),
        }
        put(self._alerts(flagged), f"{kind}:{followup_id}", record)

    def unmark_alerted(self, followup_id: str, flagged: datetime, kind: str) -> None:
        table = self._alerts(flagged)
        if table.contains(doc_id=f"{kind}:{followup_id}"):
            table.remove(doc_ids=[f"{kind}:{followup_id}"])

    def alerts_enabled(self, kind: str) -> bool | None:
        """Whether this kind of alert had anyone to text when last checked (None: never checked)."""
        found = self._tx.db(DB).table("alerting").get(doc_id=kind)
        return None if found is None else bool(found["enabled"])

    def set_alerts_enabled(self, kind: str, enabled: bool, now: datetime) -> None:
        put(self._tx.db(DB).table("alerting"), kind, {"kind": kind, "enabled": enabled, "since": utc(now).isoformat()})


def purge_messages(tx: Transaction, cutoff: datetime, dry_run: bool) -> int:
    """Erase texts received before ``cutoff`` and numbers idle since then (``feedback purge``).

    Opt-outs are kept for good: a number that said STOP must never be texted again.
    Returns how many messages were (or, on a dry run, would be) erased.
    """
    limit = utc(cutoff).isoformat()
    erased = 0
    folder = tx.root / "sms" / "numbers"
    for path in sorted(folder.glob("*.json")):
        table = tx.db(f"sms/numbers/{path.stem}").table("numbers")
        idle, trimmed = [], {}
        for doc in table.all():
            old = [sid for sid, message in doc.get("messages", {}).items() if message["at"] < limit]
            erased += len(old)
            if doc.get("updated", "") < limit:
                idle.append(str(doc.doc_id))
            elif old:
                trimmed[str(doc.doc_id)] = {
                    **doc,
                    "messages": {sid: m for sid, m in doc["messages"].items() if m["at"] >= limit},
                }
        if dry_run:
            continue
        if idle:
            table.remove(doc_ids=idle)
        for phone, doc in trimmed.items():
            put(table, phone, doc)
    return erased
