"""The web queue under load: how fast a flag reaches a manager's screen, and what open pages cost the webhook.

Starts the real server (``run_sms.py``: waitress and the Flask app, as ``feedback sms``) on loopback
with one account, then:

1. **flag to row painted**, in Debian's Chromium (Playwright): ``--flags`` texts "1 ..." through
   the signed webhook, one every half second; the page notes when each row is in the document
   and painted (a MutationObserver, then the next animation frame), against the wall clock taken
   just before the text was sent: p50/p95 (target p95 <= 1 s).
2. **the webhook alone**: ``--rate`` signed texts/s (bench/webhook.py's answers, one in twenty
   falling short by default: five new flags a second, so the queue moves all the time) for
   ``--seconds``: p50/p99 (the baseline).
3. **the same with ``--pages`` live pages open**: each does what ``manage.js`` does over its own
   connections (the event stream while a slot is free, else a poll every second; the list fetched
   on every change), in a separate process so its work does not slow the load's clock; the
   Chromium page stays open too and its flags are timed again. Webhook p99 beside the baseline
   (target <= 50 ms), printed as ratios, and the server's CPU per text in both runs (from /proc:
   steadier than a p99 while other work shares the machine). ``--workers-off`` runs it without the
   check-back and hot-spot workers, to see what they cost.

4. **the watchers alone** (``--watchers``, no server): the hot-spot and check-back workers' CPU per
   look, in process, on a day that already holds ``--day`` answers and a month of resolved follow-ups,
   while ``--rate`` answers/s come in and the workers look four times a second (as often as their
   loops could before they were throttled). CPU time (``time.thread_time``), so other work on the
   machine barely moves it: the figure to compare two versions by when the loaded p99 is noisy.

The pages are emulated over HTTP rather than fifty browser tabs: one Chromium opens at most six
connections to a server, so fifty tabs in one browser would measure the browser, not the server.

    python bench/web.py [--pages 50] [--rate 100] [--seconds 10] [--flags 30] [--threads 8] [--dir /tmp] [--workers-off]
    python bench/web.py --watchers [--day 20000] [--rate 100] [--seconds 10] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path, and bench/manager.py would shadow the manager package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "web"))

from web_helpers import WebServer, launch  # noqa: E402


def _webhook_bench() -> Any:
    """bench/webhook.py's signed requests and paced sender (one load generator for both benches)."""
    spec = importlib.util.spec_from_file_location("bench_webhook", ROOT / "bench" / "webhook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


webhook = _webhook_bench()
PASSWORD = "bench password 0123"
PAINTED = """
window.painted = {};
new MutationObserver(() => {
  document.querySelectorAll('#queue li.row').forEach((row) => {
    const match = /slow service, ticket (x[k-t]+)/.exec(row.textContent);
    if (match && !(match[1] in window.painted)) {
      const key = match[1];
      window.painted[key] = -1;
      requestAnimationFrame(() => { window.painted[key] = Date.now(); });
    }
  });
}).observe(document.getElementById('queue'), {childList: true, subtree: true});
"""


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the emulated pages (a process of their own) --------------------------------------------------


def run_pages(url: str, cookie: str, count: int, seconds: float) -> None:
    """``count`` pages doing what manage.js does, for ``seconds``; prints what they did as JSON."""
    parts = urllib.parse.urlsplit(url)
    headers = {"Cookie": cookie, "Accept": "text/html"}
    stop = time.monotonic() + seconds
    totals = {"streams": 0, "pollers": 0, "fetches": 0, "errors": 0}
    lock = threading.Lock()

    def count_up(key: str, by: int = 1) -> None:
        with lock:
            totals[key] += by

    def page() -> None:
        fetcher = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        version = ""

        def fetch() -> None:
            nonlocal version, fetcher
            try:
                fetcher.request("GET", f"/manage/rows?v={version}&station=", headers=headers)
                response = fetcher.getresponse()
                response.read()
                if response.status == 200:
                    version = response.headers.get("X-Queue-Version", version)
                count_up("fetches")
            except (OSError, http.client.HTTPException):
                count_up("errors")
                fetcher.close()
                fetcher = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

        fetch()  # the page itself
        stream = http.client.HTTPConnection(parts.hostname, parts.port, timeout=seconds + 20)
        stream.request("GET", "/manage/events", headers={**headers, "Accept": "text/event-stream"})
        response = stream.getresponse()
        if response.status == 200:
            count_up("streams")
            try:
                while time.monotonic() < stop:
                    line = response.readline()
                    if not line:
                        break
                    if line.startswith(b"data: ") and line[6:].strip().decode() != version:
                        fetch()
            except OSError:
                pass
        else:
            response.read()
            count_up("pollers")
            while time.monotonic() < stop:
                fetch()
                time.sleep(1.0)
        stream.close()
        fetcher.close()

    threads = [threading.Thread(target=page, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    print(json.dumps(totals), flush=True)


# -- the browser page ------------------------------------------------------------------------------


class PaintTimer:
    """A logged-in Chromium page on the queue, timing each "1 slow service, ticket N" from send to painted row."""

    def __init__(self, server: WebServer) -> None:
        from playwright.sync_api import sync_playwright

        self.server = server
        self.playwright = sync_playwright().start()
        self.browser = launch(self.playwright)
        self.page = self.browser.new_page(viewport={"width": 360, "height": 640})
        self.page.goto(f"{server.url}/manage/login")
        self.page.get_by_label("Name").fill("Bench")
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url("**/manage/")
        self.page.evaluate(PAINTED)
        self.number = 0

    def flags(self, count: int, gap: float = 0.5) -> list[float]:
        """Send ``count`` flags ``gap`` apart; seconds from each send to its row painted."""
        sent: dict[str, float] = {}
        for _ in range(count):
            self.number += 1
            marker = "x" + "".join(chr(ord("k") + int(digit)) for digit in str(self.number))  # digits are answers
            sent[marker] = time.time() * 1000
            status, _ = self.server.text(f"1 slow service, ticket {marker}")
            assert status == 200
            time.sleep(gap)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            painted = self.page.evaluate("window.painted")
            if all(painted.get(key, -1) > 0 for key in sent):
                break
            time.sleep(0.1)
        return [(painted[key] - at) / 1000 for key, at in sent.items() if painted.get(key, -1) > 0]

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


def texts_mix(flag_share: float) -> tuple[str, ...]:
    """bench/webhook.py's answers, with one text in ``1 / flag_share`` falling short (its own mix has one in seven)."""
    answers = tuple(body for body in webhook.BODIES if not body.startswith("1"))
    others = max(round(1 / flag_share) - 1, 0) if flag_share > 0 else len(answers)
    return ("1 the wait was too long",) * (flag_share > 0) + tuple(answers[i % len(answers)] for i in range(others))


def clear_queue(server: WebServer) -> None:
    """Resolve what is open, so each timed phase starts from a shop's usual handful (the list shows the 60
    most urgent; a timed flag behind sixty older ones would never be painted)."""
    from shared.followups import Resolution
    from shared.store import FeedbackStore

    store = FeedbackStore(server.data)
    for followup in store.open_followups():
        store.resolve(followup.id, Resolution.NO_ACTION_NEEDED, by="bench")


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paced(port: int, made: Any, rate: float, seconds: float) -> Any:
    count = int(rate * seconds)
    batch = made.make("/sms", count)
    ok, latencies, took = webhook.send_all(port, batch, 8, [index / rate for index in range(count)])
    return webhook.Result(f"webhook {rate:g}/s", len(batch), ok, took, latencies)


# -- the watchers alone ----------------------------------------------------------------------------


def watchers(folder: Path, day: int, rate: float, seconds: float) -> None:
    """Print the hot-spot and check-back workers' CPU per look while ``rate`` answers/s arrive."""
    from datetime import UTC, datetime, timedelta

    from shared.config import load_config
    from shared.followups import Resolution
    from shared.ratings import Channel, Contact, Outcome, Rating
    from shared.store import FeedbackStore
    from sms.check_back import CheckBacker
    from sms.hot_spot_alerts import SpotAlerter
    from sms.sender import ConsoleSender
    from sms.settings import load_sms_config

    (folder / "feedback.toml").write_text('business_name = "Corner Cafe"\n[sms]\nquiet_hours = "off"\n')
    config = load_config(
        folder / "feedback.toml", data_dir=folder / "data", environ={"TWILIO_FROM_NUMBER": "+15005550006"}
    )
    now = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    store = FeedbackStore(config.data_dir, clock=lambda: now)
    contact = Contact(phone="+12025550143", consent=True)

    def answer(number: int, at: datetime) -> Rating:
        below = number % 20 == 0
        return Rating(
            id=f"a{number}",
            ts=at,
            channel=Channel.SMS,
            outcome=Outcome.BELOW if below else Outcome.MET,
            station=f"Till {number % 4}",
            contact=contact if below else None,
        )

    earlier = [answer(number, now - timedelta(hours=17) + timedelta(seconds=3 * number)) for number in range(day)]
    for start in range(0, day, 500):
        store.record_ratings(earlier[start : start + 500], now=now)
    for number, followup in enumerate(store.open_followups()):  # every earlier flag resolved 10 minutes after
        code = Resolution.RECOVERED if number % 10 == 0 else Resolution.NO_ACTION_NEEDED  # 1 in 10 checked back
        store.resolve(followup.id, code, by="bench", now=followup.created + timedelta(minutes=10))
    settings = load_sms_config(config)
    alerter = SpotAlerter(settings, store, ConsoleSender(open(os.devnull, "w")), lambda: now)  # noqa: SIM115
    backer = CheckBacker(settings, store, ConsoleSender(open(os.devnull, "w")), lambda: now)  # noqa: SIM115
    alerter.run_once(), backer.run_once()  # the first look reads everything, in either version
    costs: dict[str, list[float]] = {"hot spots": [], "check-backs": []}
    every = max(round(rate / 4), 1)  # four looks a second
    for number in range(day, day + int(rate * seconds)):
        now += timedelta(seconds=1 / rate)
        store.record_rating(answer(number, now), now=now)
        if number % 40 == 0:  # a manager resolves one now and then
            for followup in store.open_followups()[:1]:
                store.resolve(followup.id, Resolution.NO_ACTION_NEEDED, by="bench", now=now)
        if number % every == 0:
            for name, work in (("hot spots", alerter.run_once), ("check-backs", backer.run_once)):
                started = time.thread_time()
                work()
                costs[name].append(time.thread_time() - started)
    print(f"watchers alone: a day of {day:,} answers before, {rate:g} answers/s for {seconds:g} s, 4 looks/s")
    for name, spent in costs.items():
        print(
            f"{name:12s} {len(spent)} looks   CPU per look mean {statistics.fmean(spent) * 1000:6.2f} ms   "
            f"p99 {percentile(spent, 0.99) * 1000:6.2f} ms   per second {sum(spent) / seconds * 1000:6.1f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=50, help="live pages open during the loaded run")
    parser.add_argument("--rate", type=float, default=100.0, help="webhook texts/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each paced run")
    parser.add_argument("--flags", type=int, default=30, help="flags timed to the painted row")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (feedback sms --threads)")
    parser.add_argument("--dir", default=None, help="where the temporary data directory goes")
    parser.add_argument("--flag-share", type=float, default=0.05, help="share of the load's texts that fall short")
    parser.add_argument("--workers-off", action="store_true", help="no check-backs nor hot-spot alerts (their cost)")
    parser.add_argument("--watchers", action="store_true", help="only the workers' CPU per look, in process")
    parser.add_argument("--day", type=int, default=20000, help="answers already in the day (--watchers)")
    parser.add_argument("--run-pages", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watchers:
        watchers(Path(tempfile.mkdtemp(prefix="bench-watchers-", dir=args.dir)), args.day, args.rate, args.seconds)
        return 0
    if args.run_pages:
        url, cookie, count, seconds = args.run_pages
        run_pages(url, cookie, int(count), float(seconds))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="bench-web-", dir=args.dir))
    off = "check_back = false\n[alerts]\nhot_spot = false\n" if args.workers_off else ""  # follows [sms]
    server = WebServer(workdir, off, threads=args.threads)
    server.env["TWILIO_AUTH_TOKEN"] = webhook.TOKEN  # bench/webhook.py signs with its own token
    server.env.pop("TWILIO_FROM_NUMBER")  # no outbound texts
    server.start()
    server.add_account("Bench", PASSWORD)
    port = int(server.url.rsplit(":", 1)[1])
    webhook.BODIES = texts_mix(args.flag_share)
    made = webhook.Requests()
    timer: PaintTimer | None = None
    try:
        webhook.send_all(port, made.make("/sms", 50), 4)  # warm up
        assert server.process is not None
        before = cpu_seconds(server.process.pid)
        alone = paced(port, made, args.rate, args.seconds)  # no page open, not even the browser's
        cpu_alone = cpu_seconds(server.process.pid) - before
        clear_queue(server)
        timer = PaintTimer(server)
        quiet = timer.flags(args.flags)
        clear_queue(server)
        cookie = server.session_cookie("Bench", PASSWORD)
        pages = subprocess.Popen(
            [sys.executable, __file__, "--run-pages", server.url, cookie, str(args.pages), str(args.seconds + 8)],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)  # every page open (and every slot taken) before the load starts
        results: list[Any] = []
        load = threading.Thread(target=lambda: results.append(paced(port, made, args.rate, args.seconds)))
        before = cpu_seconds(server.process.pid)
        load.start()  # Playwright's page belongs to this thread: the load runs beside it
        loaded_paint = timer.flags(10, gap=args.seconds / 12)
        load.join()
        cpu_loaded = cpu_seconds(server.process.pid) - before
        [loaded] = results
        pages_done = json.loads(pages.communicate(timeout=60)[0].strip().splitlines()[-1])
    finally:
        if timer is not None:
            timer.close()
        server.stop()

    print(
        f"web queue benchmark: {os.cpu_count()} cores, waitress threads {args.threads} + live streams, "
        f"loopback, Chromium {args.flags} flags, data in {workdir}"
        + (", check-backs and hot-spot alerts off" if args.workers_off else "")
    )
    print(
        f"flag to row painted (quiet):    p50 {percentile(quiet, 0.5) * 1000:6.0f} ms   "
        f"p95 {percentile(quiet, 0.95) * 1000:6.0f} ms   ({len(quiet)}/{args.flags} painted)"
    )
    print(
        f"flag to row painted (loaded):   p50 {percentile(loaded_paint, 0.5) * 1000:6.0f} ms   "
        f"max {max(loaded_paint, default=float('nan')) * 1000:6.0f} ms   ({len(loaded_paint)}/10 painted)"
    )
    print(alone.line().replace("webhook", "webhook, no pages", 1))
    print(loaded.line().replace("webhook", f"webhook, {args.pages} pages", 1))
    print(
        f"pages: {pages_done['streams']} on event streams, {pages_done['pollers']} polling, "
        f"{pages_done['fetches']} list fetches, {pages_done['errors']} errors"
    )
    print(
        f"server CPU (user + system, so other work on the machine barely moves it): "
        f"{cpu_alone / alone.sent * 1000:.2f} ms per text with no pages, "
        f"{cpu_loaded / loaded.sent * 1000:.2f} ms with {args.pages} pages (streams and list fetches included)"
    )
    p95 = percentile(quiet, 0.95)
    p99_alone, p99_loaded = alone.percentile(0.99), loaded.percentile(0.99)
    print(
        f"ratios (same run): webhook p99 with pages / without {p99_loaded / p99_alone:.2f}, "
        f"p50 {loaded.percentile(0.5) / alone.percentile(0.5):.2f}"
    )
    print(
        f"targets: painted p95 <= 1 s: {p95:.2f} s ({'met' if p95 <= 1 else 'NOT met'}); "
        f"webhook p99 <= 50 ms with {args.pages} pages: {p99_loaded:.1f} ms "
        f"({'met' if p99_loaded <= 50 else 'NOT met'}); mean {statistics.fmean(loaded.latencies) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
