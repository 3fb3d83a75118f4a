"""The SMS channel's files: per-number shards that prune themselves, messages by day."""

from __future__ import annotations

from datetime import timedelta

from sms_helpers import NOON

from shared.store import FeedbackStore
from sms.conversations import Conversation
from sms.records import NUMBER_SHARDS, SmsRecords, _shard


def same_shard_numbers(count: int) -> list[str]:
    numbers = [f"+12023{index:06d}" for index in range(5000)]
    first = _shard(numbers[0], NUMBER_SHARDS)
    return [number for number in numbers if _shard(number, NUMBER_SHARDS) == first][:count]


def test_conversations_long_past_expiry_are_pruned(store: FeedbackStore) -> None:
    old, new = same_shard_numbers(2)
    with store.transaction() as tx:
        records = SmsRecords(tx)
        records.save_conversation(Conversation.open(old, "a", NOON, timedelta(hours=48)))
        records.save_conversation(Conversation.open(new, "b", NOON + timedelta(days=20), timedelta(hours=48)))
        assert records.conversation(old) is not None
        records.save_conversation(Conversation.open(new, "c", NOON + timedelta(days=40), timedelta(hours=48)))
        assert records.conversation(old) is None
        assert records.conversation(new).id == "c"


def test_messages_are_found_across_midnight(store: FeedbackStore) -> None:
    with store.transaction() as tx:
        records = SmsRecords(tx)
        records.save_message("SM1", NOON, {"sid": "SM1", "reply": "hi"})
        assert records.message("SM1", NOON + timedelta(hours=20)) == {"sid": "SM1", "reply": "hi"}
        assert records.message("SM1", NOON + timedelta(days=3)) is None
    assert (store.root / "sms" / "messages" / "2026-11-24").is_dir()
