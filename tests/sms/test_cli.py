"""``feedback send`` and ``feedback qr`` as a shop owner runs them (real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fake_twilio import FakeTwilio
from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, SHOP_NUMBER

ROOT = Path(__file__).resolve().parents[2]


def feedback(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "feedback.toml"
    config.write_text('business_name = "Corner Cafe"\n[sms]\nquiet_hours = "off"\n', encoding="utf-8")
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "feedback", *args, "--data", str(tmp_path / "data"), "--config", str(config)]
    return subprocess.run(command, cwd=ROOT, env=base | env, capture_output=True, text=True, timeout=60)


def test_send_texts_through_twilio_then_respects_cooling_off(tmp_path: Path, fake_twilio: FakeTwilio) -> None:
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SHOP_NUMBER,
        "TWILIO_API_BASE": fake_twilio.url,
    }
    sent = feedback(tmp_path, "send", "(202) 555-0143", "--staff", "Ana", **env)
    assert sent.returncode == 0, sent.stderr
    assert "+1 ••••••••43" in sent.stdout and "2025550143" not in sent.stdout + sent.stderr
    [message] = fake_twilio.messages
    assert (message.to, message.from_) == (CUSTOMER, SHOP_NUMBER) and "Corner Cafe" in message.body
    again = feedback(tmp_path, "send", CUSTOMER, **env)
    assert again.returncode == 3 and "cooling-off" in again.stderr
    assert len(fake_twilio.messages) == 1


def test_send_without_credentials_prints_instead(tmp_path: Path) -> None:
    result = feedback(tmp_path, "send", CUSTOMER)
    assert result.returncode == 0, result.stderr
    assert "[NOT SENT" in result.stdout and "Did we meet your expectations" in result.stdout


def test_send_refuses_a_bad_number(tmp_path: Path) -> None:
    result = feedback(tmp_path, "send", "12")
    assert result.returncode == 2 and "not a" in result.stderr


def test_qr_writes_a_png_poster(tmp_path: Path) -> None:
    poster = tmp_path / "front-desk.png"
    result = feedback(
        tmp_path, "qr", "--station", "Front desk", "--output", str(poster), TWILIO_FROM_NUMBER=SHOP_NUMBER
    )
    assert result.returncode == 0, result.stderr
    assert "sms:+15005550006?&body=Feedback%20%23front-desk" in result.stdout
    assert poster.read_bytes().startswith(b"\x89PNG")


def test_qr_without_a_number_says_what_to_set(tmp_path: Path) -> None:
    result = feedback(tmp_path, "qr", "--station", "Front desk", "--output", str(tmp_path / "p.svg"))
    assert result.returncode == 2 and "TWILIO_FROM_NUMBER" in result.stderr
