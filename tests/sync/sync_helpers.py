"""Tokens, configuration and ratings shared by the sync tests."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.auth import token_hash
from shared.config import Config, load_config
from shared.ratings import Channel, Outcome, Rating

KIOSK_TOKEN = "kiosk-front-token-for-tests-only-0123456789"
SIDE_TOKEN = "kiosk-side-token-for-tests-only-0123456789"
MANAGER_TOKEN = "manager-dee-token-for-tests-only-0123456789"
TILL_TOKEN = "till-two-token-for-tests-only-0123456789"
OTHER_MANAGER_TOKEN = "manager-eli-token-for-tests-only-0123456789"
CUSTOMER = "+14155550123"
PUBLIC = "https://feedback.example.com"


def clients_toml() -> str:
    lines = ["[sync.clients]"]
    for name, role, token in (
        ("front", "kiosk", KIOSK_TOKEN),
        ("side", "kiosk", SIDE_TOKEN),
        ("dee", "manager", MANAGER_TOKEN),
        ("eli", "manager", OTHER_MANAGER_TOKEN),
        ("till2", "till", TILL_TOKEN),
    ):
        lines.append(f'{name} = {{ role = "{role}", sha256 = "{token_hash(token)}" }}')
    return "\n".join(lines) + "\n"


def write_config(folder: Path, toml: str = "", **env: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feedback.toml"
    path.write_text('business_name = "Corner Cafe"\n' + toml + clients_toml(), encoding="utf-8")
    return path


def load(folder: Path, toml: str = "", **env: str) -> Config:
    path = write_config(folder, toml)
    return load_config(
        path, data_dir=folder / "data", environ={"TWILIO_AUTH_TOKEN": "x" * 32, "PUBLIC_URL": PUBLIC, **env}
    )


def rating(outcome: Outcome = Outcome.MET, *, ts: datetime | None = None, **fields: Any) -> Rating:
    ts = ts or datetime.now(UTC) - timedelta(hours=3)
    return Rating(id=str(uuid.uuid4()), ts=ts, channel=Channel.KIOSK, outcome=outcome, station="Front", **fields)


def entry(op: str, value: Rating | dict[str, Any]) -> dict[str, Any]:
    return {"op": op, "rating": value.to_record() if isinstance(value, Rating) else value}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """The real ``run_sms.py`` on 127.0.0.1 on a fixed port, which can be killed and started again."""

    def __init__(self, folder: Path, toml: str = "") -> None:
        self.folder = folder
        self.config = write_config(folder, toml)
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.process: subprocess.Popen[str] | None = None
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(folder),
            "TWILIO_AUTH_TOKEN": "t" * 32,
            "PUBLIC_URL": PUBLIC,
        }

    def start(self, timeout: float = 20.0) -> None:
        args = [sys.executable, str(ROOT / "run_sms.py"), "--port", str(self.port)]
        args += ["--data", str(self.data), "--config", str(self.config), "--threads", "4"]
        with open(self.log, "a", encoding="utf-8") as log:  # a file: a full pipe would stall the server
            self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True)
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(timeout=max(deadline - time.monotonic(), 0)):
                line = self.process.stdout.readline()
                if "listening on" in line:
                    return
                if not line and self.process.poll() is not None:
                    break
        self.kill()
        raise AssertionError("run_sms.py did not start")

    def kill(self) -> None:
        """Stop it the hard way (as a power cut or a crash would)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {predicate}")
        time.sleep(poll)
