"""``feedback kiosk``: start the counter kiosk; ``feedback kiosk-pin``: make the staff PIN's hash."""

from __future__ import annotations

import argparse
import getpass
import sys

from shared.config import Config


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("kiosk", parents=[common], help="run the counter kiosk (Textual)")
    parser.add_argument("--station", metavar="NAME", help="this kiosk's station name (default from config)")
    parser.add_argument("--server", metavar="URL", help="remote mode: send answers to this server ([sync] server)")
    parser.add_argument("--token", metavar="TOKEN", help="this kiosk's token (better: $FEEDBACK_KIOSK_TOKEN)")
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

    remote = remote_settings(config, server=args.server, token=args.token)
    app = KioskApp(config, station=args.station, remote=remote)
    if app.settings.lock and not app.settings.pin_hash:
        print(
            "feedback kiosk: no staff PIN is set ([kiosk] pin_hash, from `feedback kiosk-pin`): "
            "setup mode, Ctrl+Q quits and the staff menu cannot open",
            file=sys.stderr,
        )
    app.run()
    return 0


def run_kiosk_pin(args: argparse.Namespace, config: Config) -> int:
    from kiosk.pin import InvalidPin, hash_pin

    if args.stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("New staff PIN (4 to 12 digits): ")
        if getpass.getpass("The same PIN again: ") != pin:
            print("feedback kiosk-pin: the two PINs differ; nothing was made", file=sys.stderr)
            return 2
    try:
        pin_hash = hash_pin(pin)
    except InvalidPin as error:
        print(f"feedback kiosk-pin: {error}", file=sys.stderr)
        return 2
    print("# Put this line in the [kiosk] table of the configuration file:")
    print(f'pin_hash = "{pin_hash}"')
    return 0
