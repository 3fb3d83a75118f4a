"""Real processes against one store: concurrent writers, racing claims, and SIGKILL mid-write."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shared.followups import AlreadyClaimed
from shared.store import FeedbackStore

WORKER = Path(__file__).with_name("store_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def start_worker(data: Path, prefix: str, count: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(data), "--prefix", prefix, "--count", str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_four_processes_writing_five_hundred_each_lose_and_double_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    workers = [start_worker(data, f"p{n}", count=500) for n in range(4)]
    acknowledged: set[str] = set()
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        acknowledged.update(line.split()[1] for line in out.splitlines())
    assert len(acknowledged) == 2000

    store = FeedbackStore(data)
    stored = [rating.id for rating in store.ratings()]
    assert len(stored) == 2000 and set(stored) == acknowledged
    assert len(store.open_followups()) == 4 * 100  # every fifth answer was unmet
    summaries = store.daily_summaries(
        min(r.ts for r in store.ratings()).date(), max(r.ts for r in store.ratings()).date()
    )
    assert sum(counts.get("answers", 0) for hours in summaries.values() for counts in hours.values()) == 2000


CLAIM_SCRIPT = """
import sys
from shared.store import FeedbackStore
from shared.followups import AlreadyClaimed
store = FeedbackStore(sys.argv[1])
sys.stdin.readline()  # start together
try:
    store.claim(sys.argv[2], sys.argv[3])
    print("won")
except AlreadyClaimed as lost:
    print("lost to", lost.claimed_by)
"""


@pytest.mark.slow
def test_managers_racing_to_claim_from_several_processes_get_exactly_one_winner(tmp_path: Path) -> None:
    from shared.ratings import Rating
    from tests.clocks import NOON

    store = FeedbackStore(tmp_path / "data")
    followup = store.record_rating(Rating(id="r", ts=NOON, channel="kiosk", outcome="below")).followup
    assert followup is not None
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, str(tmp_path / "data"), followup.id, f"manager{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for n in range(4)
    ]
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    results = [racer.communicate(timeout=60)[0].strip() for racer in racers]
    assert results.count("won") == 1
    winner = store.get_followup(followup.id).claimed_by
    assert all(result == f"lost to {winner}" for result in results if result != "won")
    with pytest.raises(AlreadyClaimed):
        store.claim(followup.id, "late")


@pytest.mark.slow
def test_every_acknowledged_rating_survives_sigkill_at_any_moment(tmp_path: Path) -> None:
    data = tmp_path / "data"
    chance = random.Random(20261124)
    acknowledged: set[str] = set()
    kills = 0
    for round_number in range(25):
        worker = start_worker(data, f"k{round_number}")
        assert worker.stdout is not None
        # Kill after a random number of acknowledgements: the worker is always busy writing the next one.
        for _ in range(chance.randint(1, 40)):
            line = worker.stdout.readline()
            assert line.startswith("ack "), worker.stderr.read() if worker.stderr else line
            acknowledged.add(line.split()[1])
        worker.send_signal(signal.SIGKILL)
        rest, _ = worker.communicate(timeout=30)
        acknowledged.update(line.split()[1] for line in rest.splitlines() if line.startswith("ack "))
        assert worker.returncode == -signal.SIGKILL
        kills += 1
        # The store must load after every kill, with everything acknowledged so far.
        if round_number % 5 == 4:
            assert acknowledged <= {rating.id for rating in FeedbackStore(data).ratings()}
    assert kills >= 20
    store = FeedbackStore(data)  # opening removes what killed writers left half-written
    assert list(data.rglob("*.tmp")) == []
    stored = {rating.id for rating in store.ratings()}
    assert acknowledged <= stored
    # A rating written but killed before its acknowledgement may exist; nothing else may.
    assert len(stored - acknowledged) <= kills
    # Every unmet answer has its follow-up (written first); at most the killed attempts left one without a rating.
    followed = {f.rating_id for f in store.open_followups()}
    unmet = {r.id for r in store.ratings() if r.outcome == "below"}
    assert unmet <= followed and len(followed - unmet) <= kills
