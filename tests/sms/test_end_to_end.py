"""End to end: the real ``run_sms.py`` on 127.0.0.1, signed requests over HTTP, texts sent by the real
twilio Client to a local fake of Twilio's REST API, then ``feedback export`` shows the answers."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import ACCOUNT_SID, API_TOKEN, AUTH_TOKEN, CUSTOMER, SHOP_NUMBER, sign

from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://feedback.example.com"
MANAGER = "+14155550100"

pytestmark = pytest.mark.slow


def read_port(process: subprocess.Popen[str], timeout: float = 20.0) -> int:
    """Wait for the 'listening on http://127.0.0.1:PORT' line, within a deadline."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=max(deadline - time.monotonic(), 0)):
            line = process.stdout.readline()
            if "listening on" in line:
                return int(line.rsplit(":", 1)[1])
            if not line and process.poll() is not None:
                break
    raise AssertionError(f"run_sms.py did not start: {process.stderr.read() if process.stderr else ''}")


def start_sms(
    tmp_path: Path, fake_twilio: FakeTwilio, sms_settings: str = ""
) -> tuple[subprocess.Popen[str], str, Path, dict[str, str]]:
    """``run_sms.py`` on a free port with the real Client sending to the fake API; ``sms_settings`` go in ``[sms]``."""
    config = tmp_path / "feedback.toml"
    config.write_text(
        f'business_name = "Corner Cafe"\n[sms]\nquiet_hours = "off"\n{sms_settings}\n'
        f'[alerts]\nmanagers = ["{MANAGER}"]\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SHOP_NUMBER,
        "TWILIO_API_BASE": fake_twilio.url,  # test only: the real Client, a local Twilio
        "PUBLIC_URL": PUBLIC,
        "FEEDBACK_API_TOKEN": API_TOKEN,
        "FEEDBACK_CONFIG": str(config),  # the report and export commands read it too
    }
    args = [sys.executable, str(ROOT / "run_sms.py"), "--port", "0", "--data", str(data), "--config", str(config)]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        return process, f"http://127.0.0.1:{read_port(process)}", data, env
    except BaseException:
        stop(process)
        raise


@pytest.fixture
def server(tmp_path: Path, fake_twilio: FakeTwilio) -> Iterator[tuple[str, Path, dict[str, str]]]:
    process, base, data, env = start_sms(tmp_path, fake_twilio)
    try:
        yield base, data, env
    finally:
        logs = stop(process)
        assert "2025550143" not in logs, "a phone number was logged in clear"


def post(url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def text(base: str, body: str, sid: str, sender: str = CUSTOMER) -> tuple[int, str]:
    params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": SHOP_NUMBER, "Body": body}
    return post(f"{base}/sms", params, {"X-Twilio-Signature": sign(f"{PUBLIC}/sms", params)})


def test_prompt_reply_comment_alert_and_export(
    server: tuple[str, Path, dict[str, str]], fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    base, data, env = server
    request = urllib.request.Request(
        f"{base}/api/prompts",
        data=json.dumps({"phone": CUSTOMER, "staff": "Ana", "station": "Till 2"}).encode(),
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    [question] = fake_twilio.wait_for(1)
    assert question.to == CUSTOMER and "Did we meet your expectations" in question.body
    assert question.status_callback == f"{PUBLIC}/sms/status"

    status, twiml = text(base, "1", "SM" + "a" * 32)
    assert status == 200 and "What went wrong?" in twiml
    assert text(base, "1", "SM" + "a" * 32) == (200, twiml)  # Twilio retried: same answer
    status, twiml = text(base, "Nobody at the till for 20 minutes", "SM" + "b" * 32)
    assert status == 200 and "A manager will look into it" in twiml
    assert text(base, "3 lovely", "SM" + "c" * 32, sender="+12015550123")[0] == 200
    forged = {"MessageSid": "SM" + "d" * 32, "From": CUSTOMER, "Body": "3"}
    assert post(f"{base}/sms", forged, {"X-Twilio-Signature": "forged"})[0] == 403

    messages = fake_twilio.wait_for(2)  # the question, then one manager alert
    alerts = [message for message in messages if message.to == MANAGER]
    assert len(alerts) == 1 and "+1 ********43" in alerts[0].body

    exported = subprocess.run(
        [sys.executable, "-m", "feedback", "export", "--data", str(data), "--include-contacts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    ratings = {rating["phone"]: rating for rating in json.loads(exported.stdout)["ratings"]}
    assert ratings[CUSTOMER]["outcome"] == "below"
    assert ratings[CUSTOMER]["comment"] == "Nobody at the till for 20 minutes"
    assert (ratings[CUSTOMER]["staff"], ratings[CUSTOMER]["station"]) == ("Ana", "Till 2")
    assert ratings["+12015550123"]["outcome"] == "exceeded" and ratings["+12015550123"]["comment"] == "lovely"
    masked = subprocess.run(
        [sys.executable, "-m", "feedback", "export", "--data", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "2025550143" not in masked.stdout


@pytest.mark.parametrize(
    ("secrets", "said"),
    [
        ({}, "TWILIO_AUTH_TOKEN"),
        # Without PUBLIC_URL, trusted proxies or allowed hosts, the Host header (the client's choice) would
        # decide the URL a signature is checked against: a text signed for another URL could be replayed.
        ({"TWILIO_AUTH_TOKEN": AUTH_TOKEN}, "PUBLIC_URL is not set"),
    ],
)
def test_server_refuses_to_start_when_it_cannot_check_signatures(
    tmp_path: Path, secrets: dict[str, str], said: str
) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **secrets}
    result = subprocess.run(
        [sys.executable, str(ROOT / "run_sms.py"), "--port", "0", "--data", str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and said in result.stderr
    assert "listening" not in result.stdout


def test_insecure_dev_starts_with_a_loud_warning_and_accepts_unsigned_texts(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    args = [sys.executable, str(ROOT / "run_sms.py"), "--port", "0", "--data", str(tmp_path / "data"), "--insecure-dev"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{read_port(process)}"
        status, twiml = post(f"{base}/sms", {"MessageSid": "SM" + "e" * 32, "From": CUSTOMER, "Body": "2"}, {})
        assert status == 200 and "<Message>" in twiml
    finally:
        process.terminate()
        process.wait(timeout=10)
    stderr = process.stderr.read() if process.stderr else ""
    assert "NOT checked" in stderr and "2025550143" not in stderr
