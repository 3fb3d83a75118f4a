"""Commands over the stored data itself: ``feedback export``."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from shared import export
from shared.config import Config
from shared.private_files import open_private
from shared.store import FeedbackStore


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "export",
        parents=[common],
        help="write ratings and follow-ups as JSON or CSV",
        description="Export ratings and their follow-ups. Phone numbers are masked unless --include-contacts.",
    )
    parser.add_argument("--format", choices=["json", "csv"], default="json")
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first UTC day to include")
    parser.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last UTC day to include")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    parser.add_argument(
        "--include-contacts", action="store_true", help="show phone numbers in full (personal data: handle with care)"
    )
    parser.set_defaults(handler=run_export)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-11-24") from None


def run_export(args: argparse.Namespace, config: Config) -> int:
    if args.since and args.until and args.since > args.until:
        print("feedback export: --since is after --until", file=sys.stderr)
        return 2
    store = FeedbackStore.existing(config)
    ratings = list(store.ratings(args.since, args.until))
    followups = list(store.followups(args.since, args.until))
    write = export.write_json if args.format == "json" else export.write_csv
    if args.output:
        # A BOM lets spreadsheet programs detect UTF-8 in CSV files.
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        with open_private(args.output, encoding=encoding, newline="") as out:  # contacts, comments: owner only
            write(out, ratings, followups, include_contacts=args.include_contacts)
        print(f"wrote {len(ratings)} ratings and {len(followups)} follow-ups to {args.output}", file=sys.stderr)
    else:
        write(sys.stdout, ratings, followups, include_contacts=args.include_contacts)
    return 0
