"""Managers' accounts: the password rules, the lockout, the store's door for accounts and sessions, and
``feedback account add`` from a pipe and at a terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_helpers import ROOT

from shared.accounts import (
    Account,
    AccountError,
    AccountEvent,
    Action,
    Lockout,
    WebSession,
    check_name,
    password_matches,
    token_key,
)
from shared.config import ConfigError, load_config
from shared.door import AccountsDoor
from shared.store import FeedbackStore

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def test_a_password_is_kept_only_as_an_argon2_hash() -> None:
    account = Account.new("Dee", PASSWORD, NOON)
    assert PASSWORD not in account.password_hash and account.password_hash.startswith("$argon2id$")
    assert password_matches(account.password_hash, PASSWORD)
    assert not password_matches(account.password_hash, PASSWORD + " ")
    assert not password_matches("not a hash", PASSWORD)
    assert not password_matches(account.password_hash, "x" * 100_000)


@pytest.mark.parametrize(
    ("name", "password", "why"),
    [
        ("", PASSWORD, "needs a name"),
        ("D" * 41, PASSWORD, "at most 40"),
        ("Dee\x1b[2J", PASSWORD, "control characters"),
        ("Dee", "short", "at least 10"),
    ],
)
def test_names_and_passwords_that_cannot_be_used_are_refused(name: str, password: str, why: str) -> None:
    with pytest.raises(AccountError, match=why):
        Account.new(name, password, NOON)


def test_the_failure_that_reaches_the_limit_locks_and_a_new_password_unlocks() -> None:
    rule = Lockout(max_failures=3, duration=timedelta(minutes=10))
    account = Account.new("Dee", PASSWORD, NOON)
    account = account.failed(NOON, rule).failed(NOON, rule)
    assert not account.is_locked(NOON)
    account = account.failed(NOON, rule)
    assert account.is_locked(NOON + timedelta(minutes=9)) and not account.is_locked(NOON + timedelta(minutes=10))
    assert not account.with_password("another long one").is_locked(NOON)
    assert check_name("  Dee ") == "Dee"


def test_accounts_sessions_and_the_audit_go_through_the_stores_door(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path, clock=lambda: NOON)
    assert isinstance(store, AccountsDoor)
    store.save_account(Account.new("Dee", PASSWORD, NOON))
    assert [account.name for account in store.accounts()] == ["Dee"] and store.account("Eli") is None

    token, session = WebSession.start("Dee", NOON - timedelta(hours=13), timedelta(hours=12))  # already over
    store.save_web_session(session)
    assert token not in (tmp_path / "accounts.json").read_text() and session.key == token_key(token)
    _, live = WebSession.start("Dee", NOON, timedelta(hours=12))
    store.save_web_session(live)  # keeping one drops the ended ones
    assert store.web_session(session.key) is None and store.web_session(live.key) == live
    store.end_web_session(live.key)
    assert store.web_session(live.key) is None

    store.record_account_event(AccountEvent("Dee", Action.CLAIM, NOON, "fu-1"))
    assert store.account_events() == [AccountEvent("Dee", Action.CLAIM, NOON, "fu-1")]


def feedback(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "feedback", *args, "--data", str(tmp_path / "data")]


def test_account_add_reads_one_line_from_a_pipe(tmp_path: Path) -> None:
    def add(name: str, stdin: str) -> subprocess.CompletedProcess[str]:
        command = feedback(tmp_path, "account", "add", name)
        return subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)

    refused = add("Dee", "short\n")
    assert refused.returncode == 2 and "at least 10 characters" in refused.stderr
    assert FeedbackStore(tmp_path / "data").account("Dee") is None
    added = add("Dee", PASSWORD + "\n")
    assert added.returncode == 0 and "Added Dee" in added.stdout
    account = FeedbackStore(tmp_path / "data").account("Dee")
    assert account is not None and password_matches(account.password_hash, PASSWORD)
    assert "New password for Dee" in add("Dee", "a second long password\n").stdout


def converse(command: list[str], answers: list[str], timeout: float = 30.0) -> tuple[int, str]:
    """Run ``command`` on a terminal of its own, typing one answer after each new "Password" prompt."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling terminal, so getpass reads it
        os.chdir(ROOT)
        os.execv(command[0], command)
    said = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"no end within {timeout} s; it said: {said!r}")
            if not select.select([terminal], [], [], 0.2)[0]:
                continue
            try:
                chunk = os.read(terminal, 1024)
            except OSError:  # EIO: the command ended and closed the terminal
                chunk = b""
            if not chunk:
                break
            said += chunk
            prompts = said.count(b"Password")
            if answered < min(prompts, len(answers)) and said.rstrip().endswith(b":"):
                os.write(terminal, answers[answered].encode() + b"\n")
                answered += 1
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    return os.waitstatus_to_exitcode(status), said.decode(errors="replace")


def test_account_add_at_a_terminal_asks_twice_and_refuses_two_different_passwords(tmp_path: Path) -> None:
    code, said = converse(feedback(tmp_path, "account", "add", "Eli"), [PASSWORD, PASSWORD + "!"])
    assert code == 2 and "the two passwords differ" in said and PASSWORD not in said
    assert FeedbackStore(tmp_path / "data").account("Eli") is None
    code, said = converse(feedback(tmp_path, "account", "add", "Eli"), [PASSWORD, PASSWORD])
    assert code == 0 and "Added Eli" in said and PASSWORD not in said


def test_a_manage_setting_out_of_range_is_a_clear_configuration_error(tmp_path: Path) -> None:
    from server.manage import ManageSettings

    path = tmp_path / "feedback.toml"
    path.write_text("[manage]\nlive_streams = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[manage\] live_streams must be a number from 0 to 200"):
        ManageSettings.from_config(load_config(path, data_dir=tmp_path))
