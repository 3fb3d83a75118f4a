"""The real server for the web queue's tests and bench: ``run_sms.py`` on 127.0.0.1, signed texts, accounts,
and the system's Chromium driven by Playwright."""

from __future__ import annotations

import http.client
import itertools
import os
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "web-test-auth-token-0123456789ab"
PUBLIC = "https://feedback.example.com"
SHOP = "+15005550006"
PASSWORD = "correct horse battery"
DRIVE_THRU = "+15005550007"  # a second number of the shop's, whose texts come from the drive-thru
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_sids = itertools.count(1)
_numbers = itertools.count(100)


def launch(playwright: Any) -> Any:
    """Debian's Chromium (never a downloaded browser build)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class WebServer:
    """``run_sms.py`` (waitress, as ``feedback sms`` serves) in its own process, stopped by :meth:`stop`."""

    def __init__(self, folder: Path, toml: str = "", threads: int = 4) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.data = folder / "data"
        self.config = folder / "feedback.toml"
        self.config.write_text('business_name = "Corner Cafe"\n[sms]\nquiet_hours = "off"\n' + toml, encoding="utf-8")
        self.log = folder / "server.log"
        self.threads = threads
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(folder),
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SHOP,
            "PUBLIC_URL": PUBLIC,
        }
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 30.0) -> WebServer:
        args = [sys.executable, str(ROOT / "run_sms.py"), "--port", "0", "--threads", str(self.threads)]
        args += ["--data", str(self.data), "--config", str(self.config)]
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
                    self.url = line.strip().rsplit(" ", 1)[1]
                    return self
                if not line and self.process.poll() is not None:
                    break
        self.stop()
        raise AssertionError(f"run_sms.py did not start: {self.log.read_text(encoding='utf-8')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def feedback(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """``feedback ARGS`` on this server's data and configuration."""
        command = [sys.executable, "-m", "feedback", *args, "--data", str(self.data), "--config", str(self.config)]
        return subprocess.run(command, cwd=ROOT, env=self.env, input=stdin, capture_output=True, text=True, timeout=60)

    def add_account(self, name: str, password: str) -> None:
        done = self.feedback("account", "add", name, stdin=password + "\n")
        assert done.returncode == 0, done.stderr

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        """One plain HTTP request (no redirects followed), its body read into ``.text``."""
        parts = urllib.parse.urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode()  # type: ignore[attr-defined]
        connection.close()
        return response

    def log_in(self, name: str, password: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        """Log in as a browser does: the login page's token (form and cookie), then the form."""
        page = self.request("GET", "/manage/login", headers=headers)
        login = page.headers["Set-Cookie"].split(";", 1)[0]
        form = {"csrf": login.split("=", 1)[1], "name": name, "password": password}
        return self.request("POST", "/manage/login", form, {**(headers or {}), "Cookie": login})

    def session_cookie(self, name: str, password: str) -> str:
        """``feedback_session=...`` for a logged-in account."""
        cookies = self.log_in(name, password).headers.get_all("Set-Cookie") or []
        [session] = [cookie.split(";", 1)[0] for cookie in cookies if cookie.startswith("feedback_session=")]
        return session

    def text(self, body: str, sender: str = "", to: str = SHOP) -> tuple[int, str]:
        """A customer's text through the real webhook, signed as Twilio signs it."""
        sender = sender or f"+1202555{next(_numbers):04d}"
        params = {"MessageSid": f"SMe{next(_sids):031x}", "From": sender, "To": to, "Body": body}
        signature = RequestValidator(self.env["TWILIO_AUTH_TOKEN"]).compute_signature(f"{PUBLIC}/sms", params)
        request = urllib.request.Request(
            f"{self.url}/sms", data=urllib.parse.urlencode(params).encode(), headers={"X-Twilio-Signature": signature}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
