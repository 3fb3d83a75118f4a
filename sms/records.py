"""The SMS channel's own data, kept in the store's data directory under its lock.

Files are cut so that handling one message rewrites only small files, whatever the history::

    sms.json                          opt-outs (keyed by number): few, kept for good
    sms/numbers/NN.json               per number (64 shards by hash): its current conversation
                                      and when it was last prompted; stale entries are pruned
    sms/messages/YYYY-MM-DD/N.json    every inbound message (raw text, what we did, the reply
                                      sent), by UTC day and 8 shards, keyed by MessageSid
    sms/prompts/YYYY-MM-DD.json       every prompt sent, keyed by Twilio sid (status callbacks)
    sms/alerts/YYYY-MM.json           alerts sent, by the follow-up's month

Use only inside ``with store.transaction() as tx``: ``SmsRecords(tx)``.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from tinydb.table import Document, Table

from shared.ratings import parse_time, utc
from shared.store import Transaction
from sms.conversations import Conversation

DB = "sms"
NUMBER_SHARDS = 64
MESSAGE_SHARDS = 8
# A conversation is kept this long after its prompt expired, so a very late reply is still known as late.
KEEP_AFTER_EXPIRY = timedelta(days=30)
# Twilio retries and status callbacks come within hours: today and the day before are searched.
LOOK_BACK_DAYS = 2


def _shard(key: str, shards: int) -> int:
    return zlib.crc32(key.encode()) % shards


class SmsRecords:
    """Reads and writes of the SMS channel's tables, within one store transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _numbers(self, phone: str, table: str) -> Table:
        return self._tx.db(f"sms/numbers/{_shard(phone, NUMBER_SHARDS):02d}").table(table)

    def _days(self, around: datetime) -> list[datetime]:
        moment = utc(around)
        return [moment - timedelta(days=back) for back in range(LOOK_BACK_DAYS)]

    # -- opt-outs ------------------------------------------------------------------

    def is_opted_out(self, phone: str) -> bool:
        return self._tx.db(DB).table("optouts").contains(doc_id=phone)

    def opt_out(self, phone: str, now: datetime, source: str) -> bool:
        """Record an opt-out (and end the number's conversation); False if it had already opted out."""
        if self.is_opted_out(phone):
            return False
        record = {"phone": phone, "since": utc(now).isoformat(), "source": source}
        _put(self._tx.db(DB).table("optouts"), phone, record)
        self.end_conversation(phone)
        return True

    def opt_in(self, phone: str) -> bool:
        """Remove an opt-out; False if the number was not opted out."""
        if not self.is_opted_out(phone):
            return False
        self._tx.db(DB).table("optouts").remove(doc_ids=[phone])
        return True

    # -- conversations and prompts ---------------------------------------------------

    def conversation(self, phone: str) -> Conversation | None:
        record = self._numbers(phone, "conversations").get(doc_id=phone)
        return None if record is None else Conversation.from_record(record)

    def save_conversation(self, conversation: Conversation) -> None:
        """Keep the number's conversation; conversations long past expiry in the same shard are dropped."""
        table = self._numbers(conversation.phone, "conversations")
        stale_before = (conversation.opened - KEEP_AFTER_EXPIRY).isoformat()
        stale = [
            str(document.doc_id)
            for document in table.all()
            if document["expires"] < stale_before and document.doc_id != conversation.phone
        ]
        if stale:
            table.remove(doc_ids=stale)
        _put(table, conversation.phone, conversation.to_record())

    def end_conversation(self, phone: str) -> None:
        table = self._numbers(phone, "conversations")
        if table.contains(doc_id=phone):
            table.remove(doc_ids=[phone])

    def last_prompted(self, phone: str) -> datetime | None:
        record = self._numbers(phone, "prompted").get(doc_id=phone)
        return None if record is None else parse_time(record["at"])

    def set_last_prompted(self, phone: str, at: datetime | None) -> None:
        table = self._numbers(phone, "prompted")
        if at is None:
            if table.contains(doc_id=phone):
                table.remove(doc_ids=[phone])
        else:
            _put(table, phone, {"phone": phone, "at": utc(at).isoformat()})

    def save_prompt(self, sid: str, record: dict[str, Any]) -> None:
        """A prompt sent, keyed by its Twilio sid (status callbacks name it), in the day it was sent."""
        day = parse_time(record["at"])
        _put(self._tx.db(f"sms/prompts/{day:%Y-%m-%d}").table("prompts"), sid, record)

    def prompt(self, sid: str, around: datetime) -> dict[str, Any] | None:
        for day in self._days(around):
            record = self._tx.db(f"sms/prompts/{day:%Y-%m-%d}").table("prompts").get(doc_id=sid)
            if record is not None:
                return dict(record)
        return None

    # -- inbound messages ---------------------------------------------------------------

    def _messages(self, sid: str, day: datetime) -> Table:
        return self._tx.db(f"sms/messages/{day:%Y-%m-%d}/{_shard(sid, MESSAGE_SHARDS)}").table("messages")

    def message(self, sid: str, around: datetime) -> dict[str, Any] | None:
        """A message already handled (a repeated delivery), with the reply it got."""
        for day in self._days(around):
            record = self._messages(sid, day).get(doc_id=sid)
            if record is not None:
                return dict(record)
        return None

    def save_message(self, sid: str, now: datetime, record: dict[str, Any]) -> None:
        _put(self._messages(sid, utc(now)), sid, record)

    # -- alerts ---------------------------------------------------------------------------

    def _alerts(self, created: datetime) -> Table:
        return self._tx.db(f"sms/alerts/{utc(created):%Y-%m}").table("alerts")

    def alerted(self, followup_id: str, created: datetime, kind: str) -> bool:
        return self._alerts(created).contains(doc_id=f"{kind}:{followup_id}")

    def mark_alerted(self, followup_id: str, created: datetime, kind: str, now: datetime) -> None:
        record = {"followup": followup_id, "kind": kind, "at": utc(now).isoformat()}
        _put(self._alerts(created), f"{kind}:{followup_id}", record)

    def unmark_alerted(self, followup_id: str, created: datetime, kind: str) -> None:
        table = self._alerts(created)
        if table.contains(doc_id=f"{kind}:{followup_id}"):
            table.remove(doc_ids=[f"{kind}:{followup_id}"])


def _put(table: Table, key: str, record: dict[str, Any]) -> None:
    """Insert or replace one keyed document with a single durable write."""
    if table.contains(doc_id=key):

        def replace(document: dict[str, Any]) -> None:
            document.clear()
            document.update(record)

        table.update(replace, doc_ids=[key])
    else:
        table.insert(Document(record, doc_id=key))
