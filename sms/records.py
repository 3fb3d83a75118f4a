"""The SMS channel's own data, kept in the store's data directory under its lock.

``sms.json`` holds small tables keyed by phone number or id: ``optouts``,
``conversations`` (the current one per number), ``prompted`` (when a number was last
prompted), ``prompts`` (each prompt sent, by Twilio sid) and ``alerts`` (which
follow-ups were texted to managers). Every inbound message, with its raw text and the
reply we sent, goes to ``sms/messages/<day>.json`` (one file per UTC day, so the cost of a
message does not grow with history), keyed by its ``MessageSid``.

Use only inside ``with store.transaction() as tx``: ``SmsRecords(tx)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tinydb.table import Document, Table

from shared.ratings import parse_time, utc
from shared.store import Transaction
from sms.conversations import Conversation

DB = "sms"
MESSAGES = "sms/messages/{day:%Y-%m-%d}"


class SmsRecords:
    """Reads and writes of the SMS channel's tables, within one store transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._db = tx.db(DB)

    def _table(self, name: str) -> Table:
        return self._db.table(name)

    # -- opt-outs ------------------------------------------------------------------

    def is_opted_out(self, phone: str) -> bool:
        return self._table("optouts").contains(doc_id=phone)

    def opt_out(self, phone: str, now: datetime, source: str) -> bool:
        """Record an opt-out; False if the number had already opted out."""
        if self.is_opted_out(phone):
            return False
        _put(self._table("optouts"), phone, {"phone": phone, "since": utc(now).isoformat(), "source": source})
        self.end_conversation(phone)
        return True

    def opt_in(self, phone: str) -> bool:
        """Remove an opt-out; False if the number was not opted out."""
        if not self.is_opted_out(phone):
            return False
        self._table("optouts").remove(doc_ids=[phone])
        return True

    # -- conversations and prompts ---------------------------------------------------

    def conversation(self, phone: str) -> Conversation | None:
        record = self._table("conversations").get(doc_id=phone)
        return None if record is None else Conversation.from_record(record)

    def save_conversation(self, conversation: Conversation) -> None:
        _put(self._table("conversations"), conversation.phone, conversation.to_record())

    def end_conversation(self, phone: str) -> None:
        if self._table("conversations").contains(doc_id=phone):
            self._table("conversations").remove(doc_ids=[phone])

    def last_prompted(self, phone: str) -> datetime | None:
        record = self._table("prompted").get(doc_id=phone)
        return None if record is None else parse_time(record["at"])

    def set_last_prompted(self, phone: str, at: datetime | None) -> None:
        if at is None:
            if self._table("prompted").contains(doc_id=phone):
                self._table("prompted").remove(doc_ids=[phone])
        else:
            _put(self._table("prompted"), phone, {"phone": phone, "at": utc(at).isoformat()})

    def save_prompt(self, sid: str, record: dict[str, Any]) -> None:
        """A prompt sent, keyed by its Twilio sid (status callbacks name it)."""
        _put(self._table("prompts"), sid, record)

    def prompt(self, sid: str) -> dict[str, Any] | None:
        record = self._table("prompts").get(doc_id=sid)
        return None if record is None else dict(record)

    # -- inbound messages ---------------------------------------------------------------

    def message(self, sid: str, around: datetime) -> dict[str, Any] | None:
        """A message already handled (Twilio retries within hours: today and yesterday are searched)."""
        day = utc(around)
        for moment in (day, day - timedelta(days=1)):
            record = self._tx.db(MESSAGES.format(day=moment)).table("messages").get(doc_id=sid)
            if record is not None:
                return dict(record)
        return None

    def save_message(self, sid: str, now: datetime, record: dict[str, Any]) -> None:
        _put(self._tx.db(MESSAGES.format(day=utc(now))).table("messages"), sid, record)

    # -- alerts ---------------------------------------------------------------------------

    def alerted(self, followup_id: str, kind: str) -> bool:
        return self._table("alerts").contains(doc_id=f"{kind}:{followup_id}")

    def mark_alerted(self, followup_id: str, kind: str, now: datetime) -> None:
        _put(self._table("alerts"), f"{kind}:{followup_id}", {"followup": followup_id, "kind": kind, "at": str(now)})

    def unmark_alerted(self, followup_id: str, kind: str) -> None:
        if self.alerted(followup_id, kind):
            self._table("alerts").remove(doc_ids=[f"{kind}:{followup_id}"])


def _put(table: Table, key: str, record: dict[str, Any]) -> None:
    """Insert or replace one keyed document with a single durable write."""
    if table.contains(doc_id=key):

        def replace(document: dict[str, Any]) -> None:
            document.clear()
            document.update(record)

        table.update(replace, doc_ids=[key])
    else:
        table.insert(Document(record, doc_id=key))
