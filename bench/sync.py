"""Answers through the sync API, beside the store alone, and a kiosk outbox draining after an outage.

Starts the real server (``run_sms.py``, waitress, in its own process) on 127.0.0.1 with a kiosk
token, then measures:

- **baselines**, in this process, no HTTP: ``FeedbackStore.record_rating`` of the same answers one
  by one, and the server's own batch path (``server.sync_api.apply_batch`` on ``record_ratings``) in
  batches of 200, the ceiling for the API;
- **API**: the same answers as ``POST /api/ratings`` in batches of 1, 50 and 200 (one
  connection per batch, as the kiosk sends them), answers/s;
- **drain**: a kiosk outbox of ``--outbox`` entries (every tenth answer fell short and has an
  update, as a visit with reasons), written as if the kiosk had been offline, then sent by the
  kiosk's own :class:`kiosk.remote.RemoteRecorder` in batches of 200: seconds until empty.
  Target (issue 6): 10,000 answers in <= 30 s on this machine;
- **tap**: what a tap costs in remote mode (the durable outbox write) with nothing waiting and
  with the whole outage's answers waiting.

Every run writes to its own UTC day, so no run pays for another's partition; afterwards the
server's store must hold exactly the answers sent ("none lost, none doubled").

    python bench/sync.py [--answers 1000] [--outbox 10000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/manager.py would shadow the manager package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import orjson  # noqa: E402

from kiosk.outbox import OUTBOX_FILE, Operation, Outbox, OutboxEntry  # noqa: E402
from kiosk.remote import RemoteRecorder, RemoteSender, RemoteSettings  # noqa: E402
from server.auth import Client, Role, token_hash  # noqa: E402
from server.sync_api import apply_batch  # noqa: E402
from shared.ratings import Channel, Outcome, Rating  # noqa: E402
from shared.store import FeedbackStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-kiosk-token-0123456789abcdef"
OUTCOMES = (Outcome.MET, Outcome.EXCEEDED, Outcome.MET, Outcome.MET, Outcome.EXCEEDED) * 2
DRAIN_DEADLINE = 300.0


def answers(count: int, day: date) -> list[tuple[Operation, Rating]]:
    """Kiosk answers on ``day``: every tenth fell short and gets its reasons as an update."""
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    entries: list[tuple[Operation, Rating]] = []
    for number in range(count):
        outcome = Outcome.BELOW if number % 10 == 9 else OUTCOMES[number % 10]
        rating = Rating(
            id=str(uuid.uuid4()),
            ts=start + timedelta(seconds=3 * number),
            channel=Channel.KIOSK,
            outcome=outcome,
            station="Front",
        )
        entries.append((Operation.RECORD, rating))
        if outcome is Outcome.BELOW:
            entries.append((Operation.UPDATE, rating.enriched(reasons=["wait_time"])))
    return entries


def start_server(folder: Path) -> tuple[subprocess.Popen[str], str]:
    config = folder / "server.toml"
    config.write_text(
        f'[sync.clients]\nfront = {{ role = "kiosk", sha256 = "{token_hash(TOKEN)}" }}\n', encoding="utf-8"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "TWILIO_AUTH_TOKEN": "b" * 32,
        "PUBLIC_URL": "https://feedback.example.com",
    }
    args = [sys.executable, str(ROOT / "run_sms.py"), "--port", "0", "--data", str(folder / "server")]
    args += ["--config", str(config), "--threads", "4"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and selector.select(timeout=max(deadline - time.monotonic(), 0)):
        line = process.stdout.readline()
        if "listening on" in line:
            return process, line.rsplit(" ", 1)[1].strip()
        if not line:
            break
    process.kill()
    raise SystemExit("the server did not start")


def baseline(folder: Path, entries: list[tuple[Operation, Rating]]) -> float:
    store = FeedbackStore(folder / "baseline")
    started = time.perf_counter()
    for op, rating in entries:
        if op is Operation.RECORD:
            store.record_rating(rating)
        else:
            store.update_rating(rating)
    return time.perf_counter() - started


def batched_without_http(folder: Path, entries: list[tuple[Operation, Rating]], batch: int) -> float:
    """The server's own batch path (``apply_batch`` on ``record_ratings``), called directly."""
    store = FeedbackStore(folder / "baseline-batched")
    client = Client("front", Role.KIOSK, token_hash(TOKEN))
    payload = [{"op": str(op), "rating": rating.to_record()} for op, rating in entries]
    started = time.perf_counter()
    for first in range(0, len(payload), batch):
        apply_batch(store, payload[first : first + batch], client, datetime.now(UTC))
    return time.perf_counter() - started


def through_api(url: str, entries: list[tuple[Operation, Rating]], batch: int) -> float:
    sender = RemoteSender(RemoteSettings(url, TOKEN, batch_size=batch, timeout=60))
    outbox = [OutboxEntry(seq, op, rating) for seq, (op, rating) in enumerate(entries, 1)]
    started = time.perf_counter()
    for first in range(0, len(outbox), batch):
        results = sender.send_batch(outbox[first : first + batch])
        assert all(result["status"] in ("stored", "updated") for result in results), results
    return time.perf_counter() - started


def write_outbox(folder: Path, records: list[dict[str, object]]) -> None:
    """The outbox file as a kiosk that was offline leaves it (a TinyDB table keyed by sequence number)."""
    (folder / OUTBOX_FILE).write_bytes(orjson.dumps({"entries": {str(r["seq"]): r for r in records}}))


def tap_cost(folder: Path, waiting: int) -> float:
    """Milliseconds for one tap in remote mode (the outbox write) with ``waiting`` answers unsent."""
    outbox_dir = folder / f"tap-{waiting}"
    outbox_dir.mkdir()
    records = [OutboxEntry(seq, op, r).to_record() for seq, (op, r) in enumerate(answers(waiting, date.today()), 1)]
    write_outbox(outbox_dir, records[:waiting])
    outbox = Outbox(outbox_dir)
    taps = answers(20, date.today())
    started = time.perf_counter()
    for op, rating in taps:
        outbox.add(op, rating)
    return (time.perf_counter() - started) / len(taps) * 1000


def drain(url: str, folder: Path, entries: list[tuple[Operation, Rating]]) -> tuple[float, int]:
    """Write the outbox as the kiosk left it, then let the kiosk's recorder send it all."""
    outbox_dir = folder / "outbox"
    outbox_dir.mkdir()
    records = [OutboxEntry(seq, op, rating).to_record() for seq, (op, rating) in enumerate(entries, 1)]
    write_outbox(outbox_dir, records)
    recorder = RemoteRecorder(RemoteSender(RemoteSettings(url, TOKEN, batch_size=200, timeout=60)), Outbox(outbox_dir))
    started = time.perf_counter()
    remaining = recorder.pending
    while remaining and time.perf_counter() - started < DRAIN_DEADLINE:
        remaining = recorder.flush()
    return time.perf_counter() - started, remaining


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000, help="answers per API run and for the baseline")
    parser.add_argument("--outbox", type=int, default=10_000, help="answers waiting in the kiosk's outbox")
    parser.add_argument("--dir", default=None, help="where to put the temporary data (default: the system's)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=args.dir))
    process, url = start_server(folder)
    day = date.today() - timedelta(days=30)
    sent = 0
    try:
        print(f"server {url}, data in {folder}, {args.answers} answers per run (+ updates for the unmet)")
        entries = answers(args.answers, day)
        seconds = baseline(folder, entries)
        print(f"{'baseline: record_rating, no HTTP':<36} {args.answers / seconds:8.0f} answers/s  ({seconds:.2f} s)")
        seconds = batched_without_http(folder, entries, 200)
        label = "baseline: batches of 200, no HTTP"
        print(f"{label:<36} {args.answers / seconds:8.0f} answers/s  ({seconds:.2f} s)")
        for offset, batch in enumerate((1, 50, 200), 1):
            entries = answers(args.answers, day + timedelta(days=offset))
            seconds = through_api(url, entries, batch)
            sent += args.answers
            label = f"API, batches of {batch}"
            print(f"{label:<36} {args.answers / seconds:8.0f} answers/s  ({seconds:.2f} s)")
        for waiting in (0, args.outbox):
            label = f"tap in remote mode, {waiting} waiting"
            print(f"{label:<36} {tap_cost(folder, waiting):8.1f} ms (the outbox write; no network)")
        entries = answers(args.outbox, day + timedelta(days=5))
        seconds, remaining = drain(url, folder, entries)
        sent += args.outbox - remaining
        verdict = "ok" if remaining == 0 and seconds <= 30 else "MISSED"
        print(
            f"{'drain an outbox of ' + str(args.outbox) + ' answers':<36} {seconds:8.2f} s"
            f"  ({args.outbox / seconds:.0f} answers/s; {remaining} left; target <= 30 s: {verdict})"
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    kept = sum(1 for _ in FeedbackStore(folder / "server").ratings())
    print(f"server store holds {kept} ratings for {sent} answers sent: {'ok' if kept == sent else 'MISMATCH'}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
