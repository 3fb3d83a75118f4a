"""``feedback kiosk-pin`` and how ``feedback kiosk`` reports a bad configuration."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from kiosk.pin import verify_pin

from .conftest import write_config

ROOT = Path(__file__).resolve().parents[2]


def feedback(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedback", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )


def test_kiosk_pin_prints_a_hash_that_verifies(tmp_path):
    result = feedback("kiosk-pin", "--stdin", "--data", str(tmp_path), stdin="97531\n")
    assert result.returncode == 0, result.stderr
    [pin_hash] = re.findall(r'^pin_hash = "(.+)"$', result.stdout, re.MULTILINE)
    assert verify_pin("97531", pin_hash)
    assert "97531" not in result.stdout


def test_kiosk_pin_refuses_a_short_pin(tmp_path):
    result = feedback("kiosk-pin", "--stdin", "--data", str(tmp_path), stdin="12\n")
    assert result.returncode == 2
    assert "4 to 12 digits" in result.stderr


def test_kiosk_reports_a_bad_setting_before_starting(tmp_path):
    config = write_config(tmp_path / "kiosk.toml", {"thanks_secs": 3})
    result = feedback("kiosk", "--data", str(tmp_path / "data"), "--config", str(config))
    assert result.returncode == 2
    assert "unknown setting(s) in [kiosk]: thanks_secs" in result.stderr


def test_kiosk_refuses_the_readmes_placeholder_pin_hash_in_one_line(tmp_path):
    config = write_config(tmp_path / "kiosk.toml", {"pin_hash": "scrypt$16384$8$1$…"})
    result = feedback("kiosk", "--data", str(tmp_path / "data"), "--config", str(config))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("feedback kiosk: [kiosk] pin_hash is not a valid staff PIN hash")
    assert "feedback kiosk-pin" in line
