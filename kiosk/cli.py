"""``feedback kiosk``: start the counter kiosk; ``feedback kiosk-pin``: make the staff PIN's hash."""

from __future__ import annotations

import argparse
import getpass
import sys

from shared.config import Config
from shared.remote import add_token_arguments, refuse_token_argument


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "kiosk",
        parents=[common],
        help="run the counter kiosk (Textual)",
        description="Run the counter kiosk full screen: the question, three choices, one tap. Answers go to "
        "the data folder, or with --server to the shop's server (kept in an outbox while it is away). "
        "Staff leave through the staff key (F12 by default) and the PIN from `feedback kiosk-pin`.",
    )
    parser.add_argument("--station", metavar="NAME", help="this kiosk's station name (default from config)")
    parser.add_argument("--server", metavar="URL", help="remote mode: send answers to this server ([sync] server)")
    add_token_arguments(parser, "FEEDBACK_KIOSK_TOKEN")
    parser.set_defaults(handler=run_kiosk)

    pin = commands.add_parser(
        "kiosk-pin",
        parents=[common],
        help="make the hash of a staff PIN for [kiosk] pin_hash",
        description="Asks for a staff PIN twice and prints the line to put in the [kiosk] table. "
        "The PIN itself is never stored.",
    )
    pin.add_argument("--stdin", action="store_true", help="read the PIN once from standard input (for scripts)")
    pin.set_defaults(handler=run_kiosk_pin)


def run_kiosk(args: argparse.Namespace, config: Config) -> int:
    from kiosk.app import KioskApp
    from kiosk.remote import remote_settings

    refuse_token_argument(args, "FEEDBACK_KIOSK_TOKEN")
    remote = remote_settings(config, server=args.server, token_file=args.token_file)
    app = KioskApp(config, station=args.station, remote=remote)
    if app.settings.lock and not app.settings.pin_hash:
        print(
            "feedback kiosk: no staff PIN is set ([kiosk] pin_hash, from `feedback kiosk-pin`): "
            "setup mode, Ctrl+Q quits and the staff menu cannot open",
            file=sys.stderr,
        )
    app.run()
    return 0


class NoPin(Exception):
    """No PIN could be read; the message says how to give one."""


def read_pin(from_stdin: bool) -> str:
    """The PIN: one line of standard input with ``--stdin``, else asked twice on the terminal, unechoed."""
    if from_stdin:
        pin = sys.stdin.readline().strip() if sys.stdin else ""
        if not pin:
            raise NoPin("no PIN on standard input (give one line, such as: ... | feedback kiosk-pin --stdin)")
        return pin
    if sys.stdin is None or not sys.stdin.isatty():
        # getpass would fall back to reading standard input, and fail with a traceback at its end.
        raise NoPin("standard input is not a terminal, so the PIN cannot be asked; pipe it in with --stdin")
    try:
        pin = getpass.getpass("New staff PIN (4 to 12 digits): ")
        again = getpass.getpass("The same PIN again: ")
    except EOFError:
        print(file=sys.stderr)  # end the prompt's line
        raise NoPin("no PIN was typed") from None
    if again != pin:
        raise NoPin("the two PINs differ")
    return pin


def run_kiosk_pin(args: argparse.Namespace, config: Config) -> int:
    from kiosk.pin import InvalidPin, hash_pin

    try:
        pin_hash = hash_pin(read_pin(args.stdin))
    except (NoPin, InvalidPin) as error:
        print(f"feedback kiosk-pin: {error}; nothing was made", file=sys.stderr)
        return 2
    print("# Put this line in the [kiosk] table of the configuration file:")
    print(f'pin_hash = "{pin_hash}"')
    return 0
