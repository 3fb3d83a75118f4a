"""Bad disks and bad files: a clear error, and the data that was there stays there."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.ratings import Rating
from shared.storage import StoreCorrupt
from shared.store import FeedbackStore, StoreBusy

ROOT = Path(__file__).resolve().parents[2]
MakeRating = Callable[..., Rating]


def test_a_corrupt_partition_stops_with_a_message_naming_the_file_and_is_left_alone(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    store.record_rating(make_rating("met"))
    partition = tmp_path / "data" / "ratings" / "2026" / "2026-11-24.json"
    partition.write_text('{"ratings": {"r0": {"id": "r0", "ts": ')  # torn by hand, not by us
    fresh = FeedbackStore(tmp_path / "data")
    with pytest.raises(StoreCorrupt, match=r"2026-11-24\.json.*Restore it from a backup"):
        fresh.record_rating(make_rating("met"))
    with pytest.raises(StoreCorrupt):
        list(fresh.ratings())
    assert partition.read_text() == '{"ratings": {"r0": {"id": "r0", "ts": '


def test_an_empty_queue_file_is_an_error_not_an_empty_queue(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    store.record_rating(make_rating("below"))
    (tmp_path / "data" / "queue.json").write_bytes(b"")
    with pytest.raises(StoreCorrupt, match=r"queue\.json.*empty"):
        FeedbackStore(tmp_path / "data").open_followups()


def test_a_damaged_summary_is_rebuilt_because_it_is_derived(
    store: FeedbackStore, make_rating: MakeRating, tmp_path: Path
) -> None:
    store.record_rating(make_rating("met"))
    (tmp_path / "data" / "summaries" / "2026-11.json").write_text("not json")
    fresh = FeedbackStore(tmp_path / "data")
    fresh.record_rating(make_rating("met"))
    from datetime import date

    hours = fresh.daily_summaries(date(2026, 11, 24), date(2026, 11, 24))["2026-11-24"]
    assert hours["2026-11-24T12"]["answers"] == 2


def test_a_lock_held_too_long_raises_store_busy(tmp_path: Path, make_rating: MakeRating) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import filelock,sys; l=filelock.FileLock(sys.argv[1]); l.acquire(); print('held', "
         "flush=True); sys.stdin.readline()", str(tmp_path / "data" / ".lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    (tmp_path / "data").mkdir(exist_ok=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        impatient = FeedbackStore(tmp_path / "data", lock_timeout=0.2)
        with pytest.raises(StoreBusy, match="stayed locked by another process"):
            impatient.record_rating(make_rating("met"))
    finally:
        holder.communicate("done\n", timeout=10)
    assert FeedbackStore(tmp_path / "data").record_rating(make_rating("met")).duplicate is False


DISK_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from datetime import datetime, UTC
    from shared.ratings import Rating
    from shared.storage import StoreWriteError
    from shared.store import FeedbackStore

    mount, mode = sys.argv[1], sys.argv[2]
    store = FeedbackStore(os.path.join(mount, "data"))
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    acknowledged, error = [], None

    def record(number):
        store.record_rating(Rating(id=f"r{number}", ts=now, channel="kiosk", outcome="below",
                                   comment="x" * 200))
        acknowledged.append(f"r{number}")

    if mode == "full":
        number = 0
        while error is None and number < 100000:
            try:
                record(number)
            except StoreWriteError as raised:
                error = str(raised)
            number += 1
    else:
        for number in range(5):
            record(number)
        os.system(f"mount -o remount,ro {mount}")
        try:
            record(99)
        except StoreWriteError as raised:
            error = str(raised)
    survivors = [r.id for r in FeedbackStore(os.path.join(mount, "data")).ratings()]
    leftovers = [n for n in os.listdir(os.path.join(mount, "data")) if n.endswith(".tmp")]
    queue = [f.rating_id for f in FeedbackStore(os.path.join(mount, "data")).open_followups()] if mode == "full" else []
    after_freeing = None
    acknowledged_before_freeing = list(acknowledged)
    if mode == "full":
        os.remove(os.path.join(mount, "filler")) if os.path.exists(os.path.join(mount, "filler")) else None
        record(number + 1)
        after_freeing = f"r{number + 1}" in {r.id for r in store.ratings()}
    print(json.dumps({"acknowledged": acknowledged_before_freeing, "error": error, "survivors": survivors,
                      "leftovers": leftovers, "queue": queue, "after_freeing": after_freeing}))
    """
)


def run_on_small_disk(mode: str, tmp_path: Path) -> dict[str, object]:
    """Run DISK_SCRIPT on a real 256 KiB tmpfs mounted in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to mount a small file system")
    mount = tmp_path / "disk"
    mount.mkdir()
    command = (
        f"mount -t tmpfs -o size=256k tmpfs {mount} && "
        f"dd if=/dev/zero of={mount}/filler bs=1k count=120 status=none && "
        f"{sys.executable} -c {_quote(DISK_SCRIPT)} {mount} {mode}"
    )
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    if result.returncode != 0 and "Operation not permitted" in result.stderr:
        pytest.skip("mounting a file system needs root or user namespaces here")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


@pytest.mark.slow
def test_a_full_disk_raises_a_clear_error_and_keeps_every_acknowledged_answer(tmp_path: Path) -> None:
    outcome = run_on_small_disk("full", tmp_path)
    assert outcome["error"] and "the disk is full" in str(outcome["error"])
    assert "previous data is intact" in str(outcome["error"])
    acknowledged = outcome["acknowledged"]
    assert isinstance(acknowledged, list) and len(acknowledged) > 10
    assert set(acknowledged) <= set(outcome["survivors"])  # type: ignore[arg-type]
    assert set(acknowledged) <= set(outcome["queue"])  # type: ignore[arg-type]
    assert outcome["leftovers"] == []
    assert outcome["after_freeing"] is True


@pytest.mark.slow
def test_a_read_only_directory_raises_a_clear_error_and_keeps_the_data(tmp_path: Path) -> None:
    outcome = run_on_small_disk("readonly", tmp_path)
    assert outcome["error"] and "read-only" in str(outcome["error"])
    assert outcome["survivors"] == ["r0", "r1", "r2", "r3", "r4"] or set(outcome["survivors"]) == {
        "r0", "r1", "r2", "r3", "r4"
    }  # fmt: skip
