"""``feedback account add NAME``: a manager's login for the web queue (``/manage``).

At a terminal the password is asked twice, unseen; from a pipe it is the first line of stdin
(``printf '%s\\n' "$PASSWORD" | feedback account add Dee``), so a setup script can make accounts.
Adding an account that exists sets a new password, which also lifts a lockout.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from shared.accounts import Account, AccountError, AccountEvent, Action, check_name, check_password
from shared.config import Config
from shared.store import FeedbackStore


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    account = commands.add_parser(
        "account",
        parents=[common],
        help="managers' logins for the web queue (/manage)",
        description="Managers log in to the web queue at /manage on the server with these accounts.",
    )
    verbs = account.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser(
        "add",
        parents=[common],
        help="add an account, or set a new password (which also unlocks it)",
        description="Add a manager's account, or set a new password for one. At a terminal the password "
        "is asked twice; otherwise it is read as one line from standard input.",
    )
    add.add_argument("name", help="the manager's name, as the audit trail and the queue show it")
    add.set_defaults(handler=run_add)
    listing = verbs.add_parser("list", parents=[common], help="list the accounts and whether each is locked")
    listing.set_defaults(handler=run_list)


def read_password() -> str:
    """Twice, unseen, at a terminal; else one line of stdin (its line ending removed, nothing else)."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        check_password(first)
        if getpass.getpass("Password again: ") != first:
            raise AccountError("the two passwords differ; nothing was changed")
        return first
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def run_add(args: argparse.Namespace, config: Config) -> int:
    try:
        name = check_name(args.name)
        password = check_password(read_password())
    except AccountError as error:
        print(f"feedback account add: {error}", file=sys.stderr)
        return 2
    store = FeedbackStore.from_config(config)
    now = store.clock()
    with store.transaction():
        existing = store.account(name)
        account = Account.new(name, password, now) if existing is None else existing.with_password(password)
        store.save_account(account)
        store.record_account_event(AccountEvent(name, Action.ACCOUNT_SET, now))
    print(f"{'Added' if existing is None else 'New password for'} {name}: log in at /manage on the server.")
    return 0


def run_list(args: argparse.Namespace, config: Config) -> int:
    store = FeedbackStore.from_config(config)
    now = store.clock()
    accounts = store.accounts()
    if not accounts:
        print("No accounts yet: add one with `feedback account add NAME`.")
    for account in accounts:
        locked = f"  locked until {account.locked_until:%Y-%m-%d %H:%M} UTC" if account.is_locked(now) else ""
        print(f"{account.name}{locked}")
    return 0
