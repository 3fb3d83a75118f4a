"""End to end: ``python run_kiosk.py`` and ``feedback kiosk`` for real in tmux, keys sent by tmux,
answers read back with ``feedback export``, and how it stops: the first run's Ctrl+Q and signals
from outside, each leaving the terminal as it found it. Skipped only when tmux is missing (CI
installs it in .ci/run)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import STAFF_PIN, write_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]


class Tmux:
    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=10,
            check=True,
        )
        return result.stdout

    def send(self, *keys: str) -> None:
        for key in keys:  # one at a time, as a person would
            self.run("send-keys", "-t", "kiosk", key)
            time.sleep(0.05)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "kiosk")

    def pane(self, field: str) -> str:
        return self.run("display-message", "-p", "-t", "kiosk", f"#{{{field}}}").strip()

    def start(self, command: str, cwd: Path) -> None:
        """Run ``command`` in a shell that stays after it, so the terminal it left behind can be read."""
        status = cwd / "exit-status"
        shell = f"cd {shlex.quote(str(cwd))} && {command}; echo $? > {status}; echo kiosk-ended; exec sleep 600"
        self.run("new-session", "-d", "-s", "kiosk", "-x", "80", "-y", "24", shell)

    def kiosk_pid(self) -> int:
        """The kiosk's process: the one child of the pane's shell."""
        shell = self.pane("pane_pid")
        children = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True, check=True).stdout.split()
        [pid] = children
        return int(pid)

    def modes(self) -> str:
        """Cursor shown, mouse reporting, alternate screen: ``"1 0 0"`` is a terminal as a shell wants it."""
        flags = "#{cursor_flag} #{mouse_any_flag} #{alternate_on}"
        return self.run("display-message", "-p", "-t", "kiosk", flags).strip()


def make_tmux() -> Tmux:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDBACK_", "TMUX"))}
    env["TERM"] = "xterm-256color"
    return Tmux(f"kiosk-test-{uuid.uuid4().hex[:8]}", env)


def wait_for_exit(tmux: Tmux, status: Path) -> None:
    poll(lambda: status.exists() and status.read_text().strip(), "the kiosk to exit")
    poll(lambda: "kiosk-ended" in tmux.screen(), "the shell after the kiosk")
    assert status.read_text().strip() == "0"
    assert tmux.modes() == "1 0 0"


def poll(check: Callable[[], object], what: str, timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def kiosk(tmp_path: Path, pin_hash: str) -> Iterator[tuple[Tmux, Callable[[], dict], Path]]:
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "kiosk.toml",
        {
            "station": "front",
            "pin_hash": pin_hash,
            "thanks_seconds": 0.5,
            "phone_timeout_seconds": 20,
            "sms_number": "+14155550134",
        },
    )
    tmux = make_tmux()
    env = tmux.env
    status = tmp_path / "exit-status"
    kiosk = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'run_kiosk.py'))}"
    tmux.start(f"{kiosk} --data {shlex.quote(str(data))} --config {shlex.quote(str(config))}", tmp_path)

    def export() -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "feedback", "export", "--data", str(data), "--include-contacts"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=30,
            check=True,
        )
        return json.loads(result.stdout)

    try:
        poll(lambda: "Did we meet your expectations" in tmux.screen(), "the idle screen")
        yield tmux, export, status
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, env=env, timeout=10)


def test_kiosk_in_tmux_records_answers_and_only_staff_can_leave(kiosk):
    tmux, export, status = kiosk

    tmux.send("2")
    poll(lambda: [r["outcome"] for r in export()["ratings"]] == ["met"], "the met answer in the export")

    poll(lambda: "Did we meet" in tmux.screen(), "idle after the thank-you")
    tmux.send("1")
    poll(lambda: "What fell short" in tmux.screen(), "the reasons screen")
    poll(lambda: len(export()["ratings"]) == 2, "the unmet answer, recorded at the first tap")
    tmux.send("1", "6", "Enter")
    poll(lambda: "manager" in tmux.screen(), "the manager question")
    tmux.send("1")
    poll(lambda: "call back" in tmux.screen(), "the phone step")
    tmux.send(*"4155550199", "Tab", "Space", "BTab", "Enter")
    poll(lambda: "on the way" in tmux.screen(), "the thank-you after the phone step")

    def unmet_done() -> dict | None:
        document = export()
        below = [r for r in document["ratings"] if r["outcome"] == "below"]
        if below and below[0]["phone"] and below[0]["customer_waiting"]:
            return document
        return None

    document = poll(unmet_done, "the enriched unmet answer")
    below = next(r for r in document["ratings"] if r["outcome"] == "below")
    assert below["reasons"] == ["wait_time", "price"]
    assert below["phone"] == "+14155550199" and below["consent"] is True
    assert below["station"] == "front"
    [followup] = document["followups"]
    assert followup["customer_waiting"] is True and followup["rating_id"] == below["id"]

    # The kiosk lock: none of these leave the app.
    poll(lambda: "Did we meet" in tmux.screen(), "idle again")
    tmux.send("C-c", "C-q", "Escape", "C-p", "C-\\")
    time.sleep(0.5)
    assert not status.exists()
    assert "Did we meet" in tmux.screen()

    # Staff key, PIN, staff menu, exit.
    tmux.send("F12")
    poll(lambda: "Staff PIN" in tmux.screen(), "the PIN prompt")
    tmux.send(*STAFF_PIN, "Enter")
    poll(lambda: "Staff menu" in tmux.screen(), "the staff menu")
    assert "2 answers" in tmux.screen()
    tmux.send("Right", "Right", "Enter")
    wait_for_exit(tmux, status)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_from_outside_stops_a_locked_kiosk_and_restores_the_terminal(kiosk, signum):
    tmux, _, status = kiosk
    assert tmux.modes() == "0 1 1"  # the kiosk is up: no cursor, mouse reporting on, alternate screen
    os.kill(tmux.kiosk_pid(), signum)
    wait_for_exit(tmux, status)


def test_the_quick_start_kiosk_says_how_to_stop_it_and_ctrl_q_does(tmp_path):
    """As the README's Quick start runs it: ``feedback kiosk --data ./data``, no configuration, no PIN."""
    tmux = make_tmux()
    script = Path(sys.executable).with_name("feedback")
    command = shlex.quote(str(script)) if script.exists() else f"{shlex.quote(sys.executable)} -m feedback"
    tmux.start(f"{command} kiosk --data ./data", tmp_path)
    try:
        poll(lambda: "Ctrl+Q quits" in tmux.screen(), "the idle screen's note on how to leave")
        tmux.send("C-q")
        wait_for_exit(tmux, tmp_path / "exit-status")
        assert (tmp_path / "data").is_dir()
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, env=tmux.env, timeout=10)
