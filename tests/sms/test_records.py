"""The SMS channel's files: one document per number in hashed shards, written once, pruned by retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sms_helpers import NOON

from feedback.cli import main
from shared.storage import DurableJSONStorage
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


def test_feedback_purge_erases_old_texts_and_idle_numbers_but_keeps_opt_outs(
    store: FeedbackStore, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    idle, active = "+12025550101", "+12025550102"
    with store.transaction() as tx, SmsRecords(tx) as records:
        records.save_message(idle, "SM-old-idle", now - timedelta(days=120), {"body": "1 rude staff"})
        records.save_message(active, "SM-old", now - timedelta(days=93), {"body": "2 ok"})
        records.save_message(active, "SM-new", now - timedelta(days=5), {"body": "3 great"})
        records.opt_out(idle, now - timedelta(days=120), "STOP")
    assert main(["purge", "--data", str(store.root), "--older-than", "90d"]) == 0
    assert "2 channel message(s)" in capsys.readouterr().out
    with store.transaction() as tx, SmsRecords(tx) as records:
        assert records.messages(idle) == []
        assert [m["body"] for m in records.messages(active)] == ["3 great"]
        assert records.is_opted_out(idle)
    text = "".join(path.read_text() for path in (store.root / "sms" / "numbers").rglob("*.json*"))
    assert "rude staff" not in text and "2 ok" not in text and idle not in text


def test_a_message_is_written_once_whatever_the_number_sent_before(store: FeedbackStore) -> None:
    phone = "+12025550143"
    journal = store.root / f"{shard_name(phone)}.json.log"

    def size() -> int:
        return journal.stat().st_size if journal.exists() else 0

    def text(n: int) -> int:
        before = size()
        with store.transaction() as tx, SmsRecords(tx) as records:
            records.save_message(phone, f"SM{n:04d}", NOON + timedelta(minutes=n), {"body": "w" * 1500})
            records.save_conversation(
                Conversation.open(phone, f"c{n}", NOON + timedelta(minutes=n), timedelta(hours=48))
            )
        return size() - before if size() > before else -1

    text(0)  # makes the shard file
    sizes = [text(n) for n in range(1, 200)]
    grown = [written for written in sizes if written > 0]  # a negative size: the journal was folded
    assert grown and max(grown) < 1500 + 1000, max(grown)  # the text, its state, and a constant
    with store.transaction() as tx, SmsRecords(tx) as records:
        assert len(records.messages(phone)) == 200 and records.message(phone, "SM0007") is not None


def test_messages_kept_inside_a_number_before_are_still_found_and_moved_out(store: FeedbackStore) -> None:
    phone = "+12025550143"
    with store.transaction() as tx:
        legacy = {
            "phone": phone,
            "updated": NOON.isoformat(),
            "messages": {"SM1": {"body": "1", "at": NOON.isoformat()}},
        }
        tx.append(shard_name(phone), "numbers", {phone: legacy})
    with store.transaction() as tx, SmsRecords(tx) as records:
        assert records.message(phone, "SM1") == {"body": "1", "at": NOON.isoformat()}
        records.save_message(phone, "SM2", NOON + timedelta(minutes=1), {"body": "2"})
    with store.transaction() as tx, SmsRecords(tx) as records:
        assert [m["body"] for m in records.messages(phone)] == ["1", "2"]
        assert "messages" not in tx.db(shard_name(phone)).table("numbers").get(doc_id=phone)


def test_a_text_from_a_number_of_a_large_shard_never_parses_the_shard(
    store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard of years holds thousands of messages: a text reads what it needs of it, not all of it
    (else the server parses a shard per text, and more bytes per text as history grows)."""
    phone, other = same_shard_numbers(2)
    for n in range(60):  # ~60 KB of another number's messages
        with store.transaction() as tx, SmsRecords(tx) as records:
            records.save_message(other, f"SMo{n}", NOON + timedelta(minutes=n), {"body": "x" * 900})
    with store.transaction() as tx, SmsRecords(tx) as records:
        records.save_message(phone, "SM1", NOON, {"body": "3"})
        records.save_conversation(Conversation.open(phone, "a", NOON, timedelta(hours=48)))
    with store.transaction() as tx:
        tx.compact(shard_name(phone))  # all of it in the file, as after a fold
    parsed: list[str] = []
    real = DurableJSONStorage._parse_file

    def parse(self: DurableJSONStorage, content: bytes) -> dict[str, dict[str, object]]:
        parsed.append(self.path.as_posix())
        return real(self, content)

    monkeypatch.setattr(DurableJSONStorage, "_parse_file", parse)
    fresh = FeedbackStore(store.root)  # a server just started: nothing parsed
    for n in range(2, 6):  # its state, a repeated delivery, a new message, the day's sweep mark; written
        with fresh.transaction() as tx, SmsRecords(tx) as records:
            assert records.conversation(phone).id == "a"
            assert records.message(phone, "SM1") == {"body": "3", "at": NOON.isoformat()}
            assert records.message(phone, f"SM{n}") is None
            records.save_message(phone, f"SM{n}", NOON + timedelta(minutes=n), {"body": str(n)})
    assert not [path for path in parsed if "/sms/numbers/" in path]
    with fresh.transaction() as tx, SmsRecords(tx) as records:
        assert [message["body"] for message in records.messages(phone)] == ["3", "2", "3", "4", "5"]


def test_the_days_sweep_reads_a_shard_whole_once_and_keeps_no_parsed_copy(
    store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a day a number's shard is read whole to prune it. Kept parsed afterwards, 256 shards took more
    than a server's cache holds and pushed one another out: every later text of the day is appended
    blind and looked up by its offsets, as before the sweep."""
    phone, other = same_shard_numbers(2)
    for n in range(60):  # ~60 KB: a shard that has offsets
        with store.transaction() as tx, SmsRecords(tx) as records:
            records.save_message(other, f"SMo{n}", NOON + timedelta(minutes=n), {"body": "x" * 900})
    parsed: list[str] = []
    real = DurableJSONStorage._parse_file
    monkeypatch.setattr(
        DurableJSONStorage, "_parse_file", lambda self, content: parsed.append(self.path.name) or real(self, content)
    )
    server = FeedbackStore(store.root)
    next_day = NOON + timedelta(days=1)
    for n in range(5):
        with server.transaction() as tx, SmsRecords(tx) as records:
            records.save_message(phone, f"SM{n}", next_day + timedelta(minutes=n), {"body": str(n)})
        assert not server.files._storages[f"{shard_name(phone)}.json"].parsed
    assert len(parsed) == 1  # the sweep, at the day's first text
    with server.transaction() as tx, SmsRecords(tx) as records:
        assert [message["body"] for message in records.messages(phone)] == ["0", "1", "2", "3", "4"]
