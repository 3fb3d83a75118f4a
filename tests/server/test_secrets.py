"""Secrets come from the environment or from a file it names (systemd credentials style), never from
the command line, where every user of the machine can read them in the process list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import ConfigError, load_config
from sms.settings import load_sms_config

ROOT = Path(__file__).resolve().parents[2]


def test_a_secret_comes_from_the_variable_or_from_the_file_it_names(tmp_path: Path) -> None:
    secret = tmp_path / "twilio-token"
    secret.write_text("  from-the-file\n", encoding="utf-8")
    from_file = load_config(None, data_dir=tmp_path, environ={"TWILIO_AUTH_TOKEN_FILE": str(secret)})
    assert from_file.secret("TWILIO_AUTH_TOKEN") == "from-the-file"
    assert load_sms_config(from_file).auth_token == "from-the-file"
    both = {"TWILIO_AUTH_TOKEN": "from-the-env", "TWILIO_AUTH_TOKEN_FILE": str(secret)}
    assert load_config(None, data_dir=tmp_path, environ=both).secret("TWILIO_AUTH_TOKEN") == "from-the-env"
    assert load_config(None, data_dir=tmp_path, environ={}).secret("TWILIO_AUTH_TOKEN") == ""


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read"), ("\n  \n", "is empty")])
def test_a_named_file_that_gives_no_secret_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    secret = tmp_path / "token"
    if content is not None:
        secret.write_text(content, encoding="utf-8")
    config = load_config(None, data_dir=tmp_path, environ={"TWILIO_AUTH_TOKEN_FILE": str(secret)})
    with pytest.raises(ConfigError, match=f"TWILIO_AUTH_TOKEN_FILE: .*{message}"):
        config.secret("TWILIO_AUTH_TOKEN")


@pytest.mark.parametrize(
    ("command", "variable"), [("kiosk", "FEEDBACK_KIOSK_TOKEN"), ("manager", "FEEDBACK_MANAGER_TOKEN")]
)
def test_a_token_on_the_command_line_is_refused_with_what_to_do_instead(
    tmp_path: Path, command: str, variable: str
) -> None:
    args = [sys.executable, "-m", "feedback", command, "--data", str(tmp_path), "--server", "http://127.0.0.1:9"]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    result = subprocess.run([*args, "--token", "secret"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"feedback {command}: --token is no longer accepted") and "--token-file" in line
    assert variable in line and "secret" not in line
