"""Install the way a shop does: build the wheel, ``pip install`` it (no ``-e``) into a fresh virtual
environment, and run the kiosk, the managers' console and the server from there, in a folder outside
the source tree so nothing can be imported from the checkout.

One wheel and one environment for the whole session (about 10 s with pip's cache)."""

from __future__ import annotations

import json
import selectors
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.kiosk.test_tmux_e2e import Tmux, poll

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("feedback", "kiosk", "manager", "server", "shared", "sms")
MODULES = ("run_kiosk.py", "run_sms.py")
NOT_PACKAGED = ("__pycache__/", ".pyc")

pytestmark = pytest.mark.slow
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")


def git_files(*args: str) -> list[str]:
    result = subprocess.run(["git", "ls-files", "-z", *args], cwd=ROOT, capture_output=True, check=True)
    return [name for name in result.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    home: Path  # the working folder and $HOME of every command: outside the source tree

    @property
    def feedback(self) -> str:
        return str(self.venv / "bin" / "feedback")

    @property
    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "TERM": "xterm-256color", "LANG": "C.UTF-8"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.feedback, *args], cwd=self.home, env=self.env, capture_output=True, text=True, timeout=60
        )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The checkout's files (committed or about to be: tracked and untracked, not ignored) built into a
    wheel away from the checkout, so no ``build/`` folder left there can add or hide a file."""
    base = tmp_path_factory.mktemp("shop")
    source = base / "source"
    for name in git_files("--cached", "--others", "--exclude-standard"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(base / "dist"), str(source)], check=True)
    [wheel] = (base / "dist").glob("feedback-*.whl")
    # No pip inside (ensurepip costs seconds): this interpreter's pip installs into it.
    venv.EnvBuilder(with_pip=False).create(base / "venv")
    python = base / "venv" / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-compile", str(wheel)], check=True)
    home = base / "home"
    home.mkdir()
    return Installed(wheel, base / "venv", home)


def test_the_wheel_holds_every_file_of_the_packages_and_no_tests(installed: Installed) -> None:
    tracked = git_files("--", *PACKAGES, *MODULES)
    expected = {name for name in tracked if not any(part in name for part in NOT_PACKAGED)}
    with zipfile.ZipFile(installed.wheel) as wheel:
        packaged = {name for name in wheel.namelist() if ".dist-info/" not in name}
    assert sorted(expected - packaged) == [], "files of the packages missing from the wheel"
    assert sorted(packaged - expected) == [], "files in the wheel that git does not track (tests?)"
    assert "kiosk/screens/idle.tcss" in packaged  # the file list above is not empty by mistake


def test_the_install_imports_from_itself_not_the_checkout(installed: Installed) -> None:
    code = "import feedback, kiosk.screens, manager.screens, server.run, shared, sms; print(kiosk.screens.__file__)"
    result = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", code],
        cwd=installed.home,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.venv)


@pytest.fixture
def tmux(installed: Installed) -> Iterator[Tmux]:
    tmux = Tmux(f"wheel-test-{uuid.uuid4().hex[:8]}", installed.env)
    try:
        yield tmux
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, env=installed.env, timeout=10)


def start_in_tmux(tmux: Tmux, installed: Installed, *args: str) -> None:
    """Run the installed ``feedback`` in a new 80x24 tmux session (named ``kiosk``, where :class:`Tmux` looks)."""
    line = " ".join(shlex.quote(word) for word in (installed.feedback, *args))
    tmux.run("new-session", "-d", "-s", "kiosk", "-x", "80", "-y", "24", "-c", str(installed.home), line)
    tmux.run("set-option", "-t", "kiosk", "remain-on-exit", "on")


@needs_tmux
def test_the_installed_kiosk_records_a_tap(installed: Installed, tmux: Tmux, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\nstation = "front"\nlock = false\nthanks_seconds = 0.5\n', encoding="utf-8")
    start_in_tmux(tmux, installed, "kiosk", "--data", str(data), "--config", str(config))
    poll(lambda: "Did we meet your expectations" in tmux.screen(), "the installed kiosk's idle screen")
    tmux.send("2")

    def ratings() -> list[dict]:
        result = installed.run("export", "--data", str(data))
        return json.loads(result.stdout)["ratings"] if result.returncode == 0 else []

    [rating] = poll(ratings, "the answer in the installed export")
    assert (rating["outcome"], rating["station"], rating["channel"]) == ("met", "front", "kiosk")


@needs_tmux
def test_the_installed_console_paints_its_queue(installed: Installed, tmux: Tmux, tmp_path: Path) -> None:
    start_in_tmux(tmux, installed, "manager", "--data", str(tmp_path / "data"), "--name", "Dee")
    screen = str(poll(lambda: "Nothing to follow up" in (text := tmux.screen()) and text, "the queue screen"))
    assert "Time left" in screen and "0 open" in screen and "you: Dee" in screen


def test_the_installed_server_answers_its_health_check(installed: Installed, tmp_path: Path) -> None:
    command = [installed.feedback, "sms", "--insecure-dev", "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--data", str(tmp_path / "data")],
        cwd=installed.home,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = listening_port(process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read())["ok"] is True
    finally:
        process.kill()  # how it stops is tests/sms' business; here only that it starts
        process.wait(timeout=10)


def listening_port(process: subprocess.Popen[str], timeout: float = 30.0) -> int:
    """The port from the server's 'listening on http://127.0.0.1:PORT' line, within a deadline."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0 and process.poll() is None:
        if selector.select(timeout=left):
            line = process.stdout.readline()
            if "listening on" in line:
                return int(line.rsplit(":", 1)[1])
    process.kill()
    raise AssertionError(f"the installed server did not start: {process.stderr.read() if process.stderr else ''}")
