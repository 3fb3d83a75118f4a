"""Hooks across a crash: the real server (``run_sms.py``) killed with SIGKILL while a delivery is failing,
started again, delivers it; what was confirmed is never sent again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hook_receiver import Receiver
from sms_helpers import ACCOUNT_SID, API_TOKEN, AUTH_TOKEN, SHOP_NUMBER
from test_end_to_end import read_port

from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def start_server(tmp_path: Path, receiver: Receiver) -> subprocess.Popen[str]:
    config = tmp_path / "feedback.toml"
    config.write_text(
        'business_name = "Corner Cafe"\n[hooks]\nfirst_retry_seconds = 1\n'
        f'[[hooks.endpoints]]\nurl = "{receiver.url}"\nevents = ["fell_short"]\n',
        encoding="utf-8",
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SHOP_NUMBER,
        "TWILIO_API_BASE": "http://127.0.0.1:9",  # no text is sent in this test
        "PUBLIC_URL": "https://feedback.example.com",
        "FEEDBACK_API_TOKEN": API_TOKEN,
        "FEEDBACK_HOOKS_SECRET": "restart-secret",
    }
    args = [
        sys.executable,
        str(ROOT / "run_sms.py"),
        "--port",
        "0",
        "--data",
        str(tmp_path / "data"),
        "--config",
        str(config),
    ]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    read_port(process)
    return process


def flag(tmp_path: Path) -> str:
    store = FeedbackStore(tmp_path / "data")
    rating = Rating(
        id=str(uuid.uuid4()),
        ts=datetime.now(UTC),
        channel=Channel.SMS,
        outcome=Outcome.BELOW,
        station="Till 1",
        contact=Contact("+12025550143"),
    )
    store.record_rating(rating)
    return f"fu-{rating.id}"


def test_a_delivery_survives_a_crash_and_is_delivered_once(tmp_path: Path, receiver: Receiver) -> None:
    (tmp_path / "data").mkdir()
    server = start_server(tmp_path, receiver)
    try:
        receiver.fail(*[500] * 50)  # the endpoint is down
        first = flag(tmp_path)
        receiver.wait_for(1)
        server.kill()  # no clean shutdown: the outbox on disk is all that is left
        server.wait(timeout=10)
        receiver.succeed()
        failed = len(receiver.received)
        server = start_server(tmp_path, receiver)
        delivered = receiver.wait_for(failed + 1)[-1]
        assert delivered.status == 200 and first in json.loads(delivered.body)["id"]
        key = delivered.headers["X-Feedback-Delivery"]
        assert all(p.headers["X-Feedback-Delivery"] == key for p in receiver.received)  # one event, one key
        stop(server)
        server = start_server(tmp_path, receiver)  # a clean restart after delivery
        second = flag(tmp_path)
        latest = receiver.wait_for(failed + 2)[-1]
        assert second in json.loads(latest.body)["id"]  # the next event, not the first again
        assert [p.status for p in receiver.received].count(200) == 2
        assert "2025550143" not in b"".join(p.body for p in receiver.received).decode()
    finally:
        logs = stop(server)
    assert "2025550143" not in logs
