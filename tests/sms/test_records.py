"""The SMS channel's files: one document per number in hashed shards, written once, pruned by retention."""

from __future__ import annotations

from datetime import timedelta

from sms_helpers import NOON

from shared.store import FeedbackStore
from sms.conversations import Conversation
from sms.records import NUMBER_SHARDS, SmsRecords, _shard, shard_name


def same_shard_numbers(count: int) -> list[str]:
    numbers = [f"+12023{index:06d}" for index in range(5000)]
    first = _shard(numbers[0], NUMBER_SHARDS)
    return [number for number in numbers if _shard(number, NUMBER_SHARDS) == first][:count]


def test_numbers_idle_past_retention_are_pruned_from_their_shard(store: FeedbackStore) -> None:
    old, new = same_shard_numbers(2)
    retention = timedelta(days=30)
    with store.transaction() as tx, SmsRecords(tx, retention) as records:
        records.save_conversation(Conversation.open(old, "a", NOON, timedelta(hours=48)))
        records.save_message(old, "SM1", NOON, {"body": "3"})
    with store.transaction() as tx, SmsRecords(tx, retention) as records:
        records.save_conversation(Conversation.open(new, "b", NOON + timedelta(days=20), timedelta(hours=48)))
    with store.transaction() as tx, SmsRecords(tx, retention) as records:
        assert records.conversation(old) is not None and records.message(old, "SM1") is not None
        records.save_conversation(Conversation.open(new, "c", NOON + timedelta(days=40), timedelta(hours=48)))
    with store.transaction() as tx, SmsRecords(tx, retention) as records:
        assert records.conversation(old) is None and records.message(old, "SM1") is None
        assert records.conversation(new).id == "c"


def test_changes_to_a_number_are_written_once_at_the_end(store: FeedbackStore) -> None:
    phone = "+12025550143"
    path = store.root / f"{shard_name(phone)}.json"
    with store.transaction() as tx, SmsRecords(tx) as records:
        records.save_conversation(Conversation.open(phone, "a", NOON, timedelta(hours=48)))
        records.save_message(phone, "SM1", NOON, {"body": "1"})
        records.set_last_prompted(phone, NOON, NOON)
        assert not path.exists()
    assert path.exists()
    with store.transaction() as tx, SmsRecords(tx) as records:
        assert records.last_prompted(phone) == NOON
        assert [message["body"] for message in records.messages(phone)] == ["1"]


def test_nothing_is_written_when_the_block_fails(store: FeedbackStore) -> None:
    phone = "+12025550143"
    try:
        with store.transaction() as tx, SmsRecords(tx) as records:
            records.save_message(phone, "SM1", NOON, {"body": "1"})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not (store.root / f"{shard_name(phone)}.json").exists()
