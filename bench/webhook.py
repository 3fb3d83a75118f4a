"""Signed inbound texts through the real SMS server on loopback, beside a bare TwiML endpoint.

Starts the SMS app (``create_app`` + waitress, as ``feedback sms`` does, in its own process)
with one extra route, ``POST /bench/bare``: the same signature check and a fixed TwiML
answer, no parsing and no store — the ceiling. Then, for both endpoints:

- **paced**: ``--rate`` requests/s for ``--seconds`` (open loop: latency counts from each
  request's scheduled time, so a stall shows): achieved rate and p50/p99;
- **max**: then ``--requests`` signed requests from ``--concurrency`` keep-alive connections,
  as fast as they are answered: throughput and p50/p99 latency.

Each webhook text adds a rating to today's partition (one fsynced journal line, whatever
the day's count) and a line to its number's shard: the paced run starts with 50 ratings
today, the max run with 50 + rate*seconds.

- **held lock**: then another process holds the store's lock for ``--lock-seconds`` (a purge, a
  long report) while texts come at ``--lock-rate``/s for its first three quarters: every one must
  be answered well within Twilio's 15 s (from the inbound spool), and all stored once the lock is
  released (the spool's worker; the time to drain it is printed).

Every webhook request comes from a different number with a clear rating; afterwards the
store must hold exactly one rating per request answered 200 ("no answer lost").
Targets (issue 4, 2 cores): >= 300 requests/s sustained, p99 <= 50 ms at 100 requests/s.
Bounded: at most --requests per max run and rate*seconds per paced run, each with a deadline.

    python bench/webhook.py [--requests 2000] [--concurrency 8] [--rate 100] [--seconds 10] [--dir /tmp]
                            [--lock-seconds 20] [--lock-rate 5]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/manager.py would shadow the manager package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import phonenumbers  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "bench-auth-token"
PUBLIC = "https://feedback.example.com"
SHOP = "+15005550006"
BODIES = ("3", "2", "1 the wait was too long", "exceeded!", "👍", "2 thanks", "3 Maria was great")
RUN_DEADLINE = 120.0


# -- the server (run in a child process) -------------------------------------------------


def serve(data: str, config_path: str, threads: int) -> None:
    import waitress
    from flask import Response

    from server.app import create_app
    from shared.config import load_config
    from sms.security import twilio_signed
    from sms.webhook import twiml

    config = load_config(config_path, data_dir=data)
    app = create_app(config)

    @twilio_signed
    def bare() -> Response:
        return twiml("Thanks!")

    app.add_url_rule("/bench/bare", "bench_bare", bare, methods=["POST"])
    app.extensions["sms"].intake.start()  # the spool's worker, as feedback sms runs it
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    print(f"listening on http://127.0.0.1:{server.effective_port}", flush=True)  # type: ignore[union-attr]
    server.run()


# -- the client ------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    sent: int
    ok: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def line(self) -> str:
        errors = self.sent - self.ok
        return (
            f"{self.name:<28} {self.sent:>6} req {self.rate:>8.0f} req/s   p50 {self.percentile(0.5):>6.1f} ms"
            f"   p99 {self.percentile(0.99):>6.1f} ms   errors {errors}"
        )


def valid_numbers() -> Iterator[str]:
    for index in itertools.count():
        number = f"+1202{3000000 + index:07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            yield number


class Requests:
    """Pre-signed requests: each webhook text from a new number, as Twilio would send it."""

    def __init__(self) -> None:
        self.numbers = valid_numbers()
        self.validator = RequestValidator(TOKEN)
        self.sids = itertools.count(1)
        self.lock = threading.Lock()

    def make(self, path: str, count: int) -> list[tuple[str, bytes, dict[str, str]]]:
        made = []
        for _ in range(count):
            with self.lock:
                number = next(self.numbers)
                sid = f"SM{next(self.sids):032x}"
            params = {"MessageSid": sid, "From": number, "To": SHOP, "Body": BODIES[len(made) % len(BODIES)]}
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": self.validator.compute_signature(PUBLIC + path, params),
            }
            made.append((path, urllib.parse.urlencode(params).encode(), headers))
        return made


def send_all(
    port: int,
    requests: list[tuple[str, bytes, dict[str, str]]],
    concurrency: int,
    schedule: list[float] | None = None,
) -> tuple[int, list[float], float]:
    """Send from ``concurrency`` keep-alive connections; return (answered 200, latencies, seconds)."""
    cursor = itertools.count()
    latencies: list[float] = []
    ok = [0]
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + RUN_DEADLINE

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            index = next(cursor)
            if index >= len(requests) or time.perf_counter() > deadline:
                break
            due = start + schedule[index] if schedule else time.perf_counter()
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            path, body, headers = requests[index]
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                good = response.status == 200 and b"<Message>" in payload
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                good = False
            took = time.perf_counter() - due
            with lock:
                latencies.append(took)
                ok[0] += good
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok[0], latencies, time.perf_counter() - start


def start_server(data: Path, config: Path, threads: int) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC}
    for secret in ("TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER", "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE"):
        env.pop(secret, None)  # no outbound texts: the console sender
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(data), str(config), str(threads)],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if selector.select(timeout=30):
        line = process.stdout.readline()
        if "listening on" in line:
            return process, int(line.rsplit(":", 1)[1])
    process.kill()
    raise SystemExit("the server did not start")


def hold_lock(data: Path) -> subprocess.Popen[str]:
    """Another process takes the store's lock and keeps it until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import filelock,sys; l=filelock.FileLock(sys.argv[1]); l.acquire(); "
         "print('held', flush=True); sys.stdin.read()", str(data / ".lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def spooled(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        return int(json.loads(connection.getresponse().read())["spooled"])
    finally:
        connection.close()


def during_held_lock(port: int, data: Path, made: Requests, args: argparse.Namespace) -> tuple[Result, float]:
    """Texts while the lock is held; returns their result and the seconds the spool took to drain after."""
    holder = hold_lock(data)
    started = time.perf_counter()
    count = int(args.lock_rate * args.lock_seconds * 0.75)
    batch = made.make("/sms", count)
    ok, latencies, seconds = send_all(port, batch, args.concurrency, [index / args.lock_rate for index in range(count)])
    time.sleep(max(args.lock_seconds - (time.perf_counter() - started), 0))
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=10)
    released = time.perf_counter()
    while spooled(port) and time.perf_counter() - released < RUN_DEADLINE:
        time.sleep(0.05)
    drained = time.perf_counter() - released
    return Result(f"webhook /sms, lock held {args.lock_seconds:g} s", count, ok, seconds, latencies), drained


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per max-throughput run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s of the paced runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the paced runs")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--dir", default=None, help="where the temporary data directory goes")
    parser.add_argument("--lock-seconds", type=float, default=20.0, help="how long the lock is held (0: skip)")
    parser.add_argument("--lock-rate", type=float, default=5.0, help="texts/s while the lock is held")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return 0

    from shared.store import FeedbackStore

    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-", dir=args.dir))
    config = workdir / "feedback.toml"
    config.write_text('business_name = "Bench Cafe"\n[sms]\nquiet_hours = "off"\n', encoding="utf-8")
    process, port = start_server(workdir / "data", config, args.threads)
    made = Requests()
    results: list[Result] = []
    webhook_ok = 0
    drained: float | None = None
    try:
        for path in ("/bench/bare", "/sms"):  # warm up both
            send_all(port, made.make(path, 50), 4)
        paced = int(args.rate * args.seconds)
        schedule = [index / args.rate for index in range(paced)]
        for name, path in (("bare TwiML (ceiling)", "/bench/bare"), ("webhook /sms", "/sms")):
            batch = made.make(path, paced)
            ok, latencies, seconds = send_all(port, batch, args.concurrency, schedule)
            results.append(Result(f"{name}, {args.rate:g}/s", len(batch), ok, seconds, latencies))
            webhook_ok += ok if path == "/sms" else 0
            batch = made.make(path, args.requests)
            ok, latencies, seconds = send_all(port, batch, args.concurrency)
            results.append(Result(f"{name}, max", len(batch), ok, seconds, latencies))
            webhook_ok += ok if path == "/sms" else 0
        if args.lock_seconds > 0:
            held, drained = during_held_lock(port, workdir / "data", made, args)
            results.append(held)
            webhook_ok += held.ok
    finally:
        process.terminate()
        process.wait(timeout=10)
    stored = sum(1 for _ in FeedbackStore(workdir / "data").ratings())
    expected = webhook_ok + 50  # the warm-up texts are ratings too
    print(
        f"webhook benchmark: {os.cpu_count()} cores, waitress threads {args.threads}, "
        f"{args.concurrency} client connections, loopback, durable store in {workdir}"
    )
    for result in results:
        print(result.line())
    print(
        f"ratings stored {stored}, webhook answers 200 (incl. 50 warm-up) {expected}: "
        f"{'no answer lost' if stored == expected else 'MISMATCH'}"
    )
    webhook_paced = results[2]
    webhook_max = results[3]
    print(
        f"targets: >= 300 req/s sustained: {webhook_max.rate:.0f} ({'met' if webhook_max.rate >= 300 else 'NOT met'}); "
        f"p99 <= 50 ms at {args.rate:g}/s: {webhook_paced.percentile(0.99):.1f} ms "
        f"({'met' if webhook_paced.percentile(0.99) <= 50 else 'NOT met'}); "
        f"ratio to ceiling {webhook_max.rate / max(results[1].rate, 1):.2f}"
    )
    print(f"statistics: paced webhook mean {statistics.fmean(webhook_paced.latencies) * 1000:.1f} ms")
    if drained is not None:
        held = results[4]
        slowest = max(held.latencies, default=float("nan"))
        print(
            f"held lock: slowest answer {slowest:.2f} s ({'within' if slowest < 15 else 'NOT within'} Twilio's 15 s); "
            f"spool drained {drained:.1f} s after the lock was released"
        )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if stored == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
