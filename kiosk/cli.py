"""``feedback kiosk``: start the counter kiosk."""

from __future__ import annotations

import argparse

from shared.config import Config


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("kiosk", parents=[common], help="run the counter kiosk (Textual)")
    parser.add_argument("--station", metavar="NAME", help="this kiosk's station name (default from config)")
    parser.set_defaults(handler=run_kiosk)


def run_kiosk(args: argparse.Namespace, config: Config) -> int:
    from kiosk.app import KioskApp

    KioskApp(config, station=args.station).run()
    return 0
