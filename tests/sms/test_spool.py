"""A webhook that never drops a text: a held lock, a damaged file or a full disk gets a TwiML answer
within seconds, the text waits in the inbound spool, and the spool's worker stores it when it can.

Through the real server (``run_sms.py`` under waitress on 127.0.0.1), signed requests, a real
lock held by another process, a real full disk (a small tmpfs in a private mount namespace).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, SHOP_NUMBER, Texter, sign, write_config
from test_end_to_end import PUBLIC, post, read_port

from server.app import create_app
from shared.config import ConfigError
from shared.followups import FollowUpStatus
from shared.ratings import Outcome, Rating
from shared.store import FeedbackStore
from sms.intake import offline_reply
from sms.records import SmsRecords, shard_name
from sms.settings import DEFAULT_TEXTS, SmsConfig, load_sms_config
from sms.spool import FAILED, InboundSpool, SpoolError
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)
OTHER = "+12015550123"


def texts(name: str) -> str:
    return DEFAULT_TEXTS[name].format(business="Corner Cafe")


# -- the real server, a held lock ------------------------------------------------------------------


@dataclass
class Server:
    base: str
    process: subprocess.Popen[str]
    logs: str = ""

    def text(self, body: str, sid: str, sender: str = CUSTOMER) -> tuple[int, str, float]:
        """Send one signed text; (status, TwiML, seconds it took)."""
        params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": SHOP_NUMBER, "Body": body}
        started = time.monotonic()
        status, answer = post(f"{self.base}/sms", params, {"X-Twilio-Signature": sign(f"{PUBLIC}/sms", params)})
        return status, answer, time.monotonic() - started

    def crash(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def spooled(self) -> int:
        with urllib.request.urlopen(f"{self.base}/healthz", timeout=10) as response:
            return int(json.loads(response.read())["spooled"])

    def wait_until_spool_is_empty(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.spooled():
            assert time.monotonic() < deadline, "the spool was not replayed in time"
            time.sleep(0.1)


def write_server_config(tmp_path: Path, sms: str = "") -> Path:
    config = tmp_path / "feedback.toml"
    config.write_text(
        f'business_name = "Corner Cafe"\n[sms]\nquiet_hours = "off"\nstore_wait_seconds = 1\n{sms}', encoding="utf-8"
    )
    return config


@contextmanager
def running_server(tmp_path: Path, data: Path, config: Path, wrap: list[str] | None = None) -> Iterator[Server]:
    """``run_sms.py`` on a free port (inside ``wrap``, a command that ends by running its arguments)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC,
    }
    args = [sys.executable, str(ROOT / "run_sms.py"), "--port", "0", "--data", str(data), "--config", str(config)]
    process = subprocess.Popen(
        [*(wrap or []), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server("", process)
    try:
        server.base = f"http://127.0.0.1:{read_port(process)}"
        yield server
    finally:
        server.logs = stop(process, timeout=15)
    assert "2025550143" not in server.logs, "a phone number was logged in clear"


@contextmanager
def held_lock(data: Path) -> Iterator[Callable[[], None]]:
    """Another process holds the store's lock (as a purge or a long report would) until released."""
    data.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import filelock,sys; l=filelock.FileLock(sys.argv[1]); l.acquire(); "
         "print('held', flush=True); sys.stdin.readline()", str(data / ".lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip

    def release() -> None:
        if holder.poll() is None:
            holder.communicate("done\n", timeout=10)

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield release
    finally:
        release()


def sid(number: int) -> str:
    return f"SM{number:032x}"


def ratings_by_id(data: Path) -> dict[str, Rating]:
    ratings = list(FeedbackStore(data).ratings())
    by_id = {rating.id: rating for rating in ratings}
    assert len(by_id) == len(ratings), "a text was stored twice"
    return by_id


def messages_of(data: Path, phone: str) -> list[dict[str, object]]:
    with FeedbackStore(data).transaction() as tx:
        return SmsRecords(tx).messages(phone)


# -- a held lock ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_texts_during_a_held_lock_are_answered_at_once_and_stored_in_order_once_it_is_released(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    bodies = ["3", "2", "1 long queue", "exceeded!", "👍", "2 thanks", "1", "3 Maria"]
    others = [(f"+1202555{number:04d}", body) for number, body in enumerate(bodies)]
    with held_lock(data) as release, running_server(tmp_path, data, write_server_config(tmp_path)) as server:

        def customer() -> list[tuple[int, str, float]]:
            # One person: the rating, then the comment once the first answer came back.
            return [server.text("1", sid(1)), server.text("Nobody at the till for 20 minutes", sid(2))]

        with ThreadPoolExecutor(max_workers=12) as pool:
            conversation = pool.submit(customer)
            singles = [pool.submit(server.text, body, sid(10 + n), phone) for n, (phone, body) in enumerate(others)]
            repeated = pool.submit(server.text, "3", sid(10), others[0][0])  # Twilio delivered one twice
            answers = [*conversation.result(), *(single.result() for single in singles), repeated.result()]
        assert all(status == 200 and "<Response" in twiml for status, twiml, _ in answers), answers
        assert max(seconds for _, _, seconds in answers) < 5.0  # store_wait 1 s; Twilio gives up at 15 s
        assert "What went wrong?" in answers[0][1]
        assert server.spooled() == 10  # the lock is still held: nothing could be stored
        released_at = datetime.now(UTC)
        release()
        server.wait_until_spool_is_empty()
    stored = ratings_by_id(data)
    assert set(stored) == {sid(1), *(sid(10 + n) for n in range(len(others)))}
    rating = stored[sid(1)]
    assert (rating.outcome, rating.comment) == (Outcome.BELOW, "Nobody at the till for 20 minutes")
    assert all(rating.ts < released_at for rating in stored.values()), "stored with the time they arrived"
    below = {rating.id for rating in stored.values() if rating.outcome is Outcome.BELOW}
    followups = FeedbackStore(data).open_followups()
    assert {followup.rating_id for followup in followups} == below == {sid(1), sid(12), sid(16)}
    assert all(followup.status is FollowUpStatus.OPEN for followup in followups)
    assert [message["action"] for message in messages_of(data, CUSTOMER)] == ["rating_recorded", "comment"]
    assert "spooled" in server.logs and "spool: stored text" in server.logs


@pytest.mark.slow
def test_texts_spooled_before_a_crash_are_stored_by_the_next_run(tmp_path: Path) -> None:
    data, config = tmp_path / "data", write_server_config(tmp_path)
    spool = data / "sms" / "spool"
    with held_lock(data) as release:
        with running_server(tmp_path, data, config) as server:
            assert server.text("1", sid(1))[0] == 200
            assert server.text("The card machine was broken", sid(2))[0] == 200
            server.crash()
        files = sorted(spool.glob("*.json"))
        assert len(files) == 2 and all(path.stat().st_mode & 0o777 == 0o600 for path in files)
        release()
    with running_server(tmp_path, data, config) as server:
        server.wait_until_spool_is_empty()
    rating = ratings_by_id(data)[sid(1)]
    assert (rating.outcome, rating.comment) == (Outcome.BELOW, "The card machine was broken")
    assert list(spool.glob("*.json")) == []


def test_a_text_never_overtakes_an_earlier_one_from_its_number_still_in_the_spool(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[sms]\nstore_wait_seconds = 0.2\n", PUBLIC_URL=PUBLIC)
    app = create_app(config)
    texter, intake = Texter(app.test_client()), app.extensions["sms"].intake
    with held_lock(config.data_dir):
        assert "What went wrong?" in texter.reply_of("1", sid=sid(1))
    # The store is free again, but the rating waits in the spool: the comment must queue behind it.
    texter.reply_of("Cold coffee", sid=sid(2))
    assert set(ratings_by_id(config.data_dir)) == set()
    assert intake.replay() == 0
    rating = ratings_by_id(config.data_dir)[sid(1)]
    assert (rating.outcome, rating.comment) == (Outcome.BELOW, "Cold coffee")


def test_a_spooled_stop_is_confirmed_at_once_and_recorded_when_it_is_stored(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[sms]\nstore_wait_seconds = 0.2\n", PUBLIC_URL=PUBLIC)
    app = create_app(config)
    with held_lock(config.data_dir):
        assert Texter(app.test_client()).reply_of("STOP", sid=sid(1)) == texts("opted_out")
    assert app.extensions["sms"].intake.replay() == 0
    with FeedbackStore(config.data_dir).transaction() as tx:
        assert SmsRecords(tx).is_opted_out(CUSTOMER)


def test_an_unexpected_error_still_gets_an_answer_and_the_text_is_set_aside_after_three_tries(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, PUBLIC_URL=PUBLIC)
    shard = config.data_dir / f"{shard_name(CUSTOMER)}.json"
    shard.parent.mkdir(parents=True)
    # Valid JSON of the wrong shape: not a StoreError, a bug waiting to happen in the responder.
    shard.write_text(json.dumps({"numbers": {CUSTOMER: {"phone": CUSTOMER, "messages": "?"}}}), encoding="utf-8")
    app = create_app(config)
    intake = app.extensions["sms"].intake
    assert Texter(app.test_client()).reply_of("3", sid=sid(1)) == texts("thanks_exceeded")
    assert [intake.replay() for _ in range(3)] == [1, 1, 0]
    [kept] = (config.data_dir / "sms" / "spool" / FAILED).iterdir()
    assert json.loads(kept.read_bytes())["form"]["MessageSid"] == sid(1)


# -- a damaged file -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_damaged_file_holds_up_only_its_number_and_its_texts_are_stored_once_it_is_repaired(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert shard_name(CUSTOMER) != shard_name(OTHER)
    damaged = data / f"{shard_name(CUSTOMER)}.json"
    damaged.parent.mkdir(parents=True)
    damaged.write_text('{"numbers": {"+1202', encoding="utf-8")
    with running_server(tmp_path, data, write_server_config(tmp_path)) as server:
        status, twiml, _ = server.text("3", sid(1))
        assert status == 200 and texts("thanks_exceeded") in twiml
        status, twiml, _ = server.text("2", sid(2), sender=OTHER)
        assert status == 200 and texts("thanks_met") in twiml
        assert server.spooled() == 1  # only the number with the damaged file waits
        assert set(ratings_by_id(data)) == {sid(2)}
        damaged.unlink()  # repaired: a person moved the damaged file aside
        server.wait_until_spool_is_empty()
    assert ratings_by_id(data)[sid(1)].outcome is Outcome.EXCEEDED
    assert "cannot be read" in server.logs


# -- a full disk -----------------------------------------------------------------------------------


def fill(path: Path) -> None:
    """Write zeros to ``path`` until its file system is full."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(descriptor)


def can_mount_a_small_disk(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    command = ["unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs"]
    return subprocess.run([*command, str(probe)], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
def test_a_full_disk_still_gets_an_answer_and_the_text_is_stored_once_there_is_room(tmp_path: Path) -> None:
    """The store on a full 256 KiB disk; the spool on another one, which then fills up too."""
    if not can_mount_a_small_disk(tmp_path):
        pytest.skip("needs unshare and the right to mount a file system (root or user namespaces)")
    disk, spool_disk = tmp_path / "disk", tmp_path / "spool-disk"
    disk.mkdir()
    spool_disk.mkdir()
    mounts = (
        f"mount -t tmpfs -o size=256k tmpfs {disk} && mount -t tmpfs -o size=256k tmpfs {spool_disk} && "
        f"mkdir {disk}/data && (dd if=/dev/zero of={disk}/filler bs=4k status=none 2>/dev/null || true) && "
        'exec "$@"'
    )
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mounts, "sh"]
    config = write_server_config(tmp_path, f'spool_dir = "{spool_disk}/spool"\n')
    with running_server(tmp_path, disk / "data", config, wrap) as server:
        inside = Path(f"/proc/{server.process.pid}/root")  # the server's view, with its private mounts
        status, twiml, _ = server.text("1", sid(1))
        assert status == 200 and "What went wrong?" in twiml
        assert len(list((inside / f"{spool_disk}/spool".lstrip("/")).glob("*.json"))) == 1  # on the other disk
        fill(inside / f"{spool_disk}/filler".lstrip("/"))  # now the spool's disk is full as well
        status, twiml, _ = server.text("The till was closed", sid(2))
        assert status == 200 and "<Response" in twiml
        status, twiml, _ = server.text("3", sid(3), sender=OTHER)
        assert status == 200 and texts("thanks_exceeded") in twiml
        assert server.spooled() == 3
        (inside / f"{disk}/filler".lstrip("/")).unlink()  # room again for the store
        server.wait_until_spool_is_empty()
        stored = ratings_by_id(inside / f"{disk}/data".lstrip("/"))
    assert (stored[sid(1)].outcome, stored[sid(1)].comment) == (Outcome.BELOW, "The till was closed")
    assert stored[sid(3)].outcome is Outcome.EXCEEDED
    errors = [line for line in server.logs.splitlines() if " ERROR " in line and "kept in memory" in line]
    assert any(sid(2) in line and "+1 ••••••••43" in line for line in errors), server.logs
    assert "No space left on device" in server.logs


# -- the spool's own promises (real files, no server) ------------------------------------------


def form(number: int, sender: str = CUSTOMER, body: str = "1") -> dict[str, str]:
    return {"MessageSid": sid(number), "From": sender, "To": SHOP_NUMBER, "Body": body, "OptOutType": "STOP"}


def test_the_spool_keeps_texts_in_arrival_order_across_restarts_as_twilio_sent_them(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool")
    for number in (3, 1, 2):
        spool.add(form(number), NOON)
    again = InboundSpool(tmp_path / "spool")
    assert [text.sid for text in again.texts()] == [sid(3), sid(1), sid(2)]
    assert again.texts()[0].form == form(3) and again.texts()[0].received == NOON
    assert again.holds(sid(1)) and again.holds_sender(CUSTOMER) and not again.holds_sender(OTHER)
    for text in again.texts():
        again.remove(text)
    assert len(InboundSpool(tmp_path / "spool")) == 0 and not again.holds_sender(CUSTOMER)


def test_a_text_delivered_twice_at_once_is_kept_once(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool")
    with ThreadPoolExecutor(max_workers=8) as pool:
        kept = list(pool.map(lambda _: spool.add(form(1), NOON), range(8)))
    assert sum(text is not None for text in kept) == 1
    assert [text.sid for text in InboundSpool(tmp_path / "spool").texts()] == [sid(1)]


def test_an_unreadable_spool_file_is_set_aside_for_a_person_not_replayed(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool")
    spool.add(form(1), NOON)
    (tmp_path / "spool" / "00000000000000000001-SMbroken.json").write_text("{not json", encoding="utf-8")
    again = InboundSpool(tmp_path / "spool")
    assert [text.sid for text in again.texts()] == [sid(1)]
    assert [path.name for path in (tmp_path / "spool" / FAILED).iterdir()] == ["00000000000000000001-SMbroken.json"]


def test_a_spool_that_cannot_be_written_keeps_the_text_in_memory_and_writes_it_later(tmp_path: Path) -> None:
    blocker = tmp_path / "spool"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    spool = InboundSpool(blocker)
    with pytest.raises(SpoolError, match="kept in memory"):
        spool.add(form(1), NOON)
    assert [text.sid for text in spool.texts()] == [sid(1)]
    assert spool.write_pending() == 1
    blocker.unlink()
    blocker.mkdir()
    assert spool.write_pending() == 0
    assert [text.sid for text in InboundSpool(blocker).texts()] == [sid(1)]


def test_a_full_spool_refuses_the_text_with_a_clear_message(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool", limit=2)
    spool.add(form(1), NOON)
    spool.add(form(2), NOON)
    with pytest.raises(SpoolError, match="already holds 2 texts; this one is NOT kept"):
        spool.add(form(3), NOON)
    assert len(spool) == 2


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("1", "ask_what_went_wrong"),
        ("1 the wait was too long", "below_noted"),
        ("2", "thanks_met"),
        ("3 lovely", "thanks_exceeded"),
        ("STOP", "opted_out"),
        ("START", "opted_in"),
        ("HELP", "help"),
        ("Feedback #front-desk", "question"),
        ("lol", None),
        ("", None),
    ],
)
def test_a_spooled_text_is_answered_from_the_text_alone(tmp_path: Path, body: str, answer: str | None) -> None:
    settings = SmsConfig(business_name="Corner Cafe")
    assert offline_reply(settings, body) == (texts(answer) if answer else None)


@pytest.mark.parametrize("wait", [0, 5.5, 25])
def test_store_wait_is_bounded_below_twilios_timeout(tmp_path: Path, wait: float) -> None:
    with pytest.raises(ConfigError, match="store_wait_seconds"):
        load_sms_config(write_config(tmp_path, f"[sms]\nstore_wait_seconds = {wait}\n"))
