"""Commands over the stored data itself: ``feedback export`` (streamed a day at a time) and ``feedback backup``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from shared import export
from shared.arguments import day
from shared.backup import BackupExists, backup
from shared.config import Config
from shared.private_files import open_private
from shared.progress import terminal_progress
from shared.store import FeedbackStore

T = TypeVar("T")


class Counted(Generic[T]):
    """An iterable that counts what it yielded (the summary line, without keeping the records)."""

    def __init__(self, items: Iterable[T]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[T]:
        for item in self._items:
            self.count += 1
            yield item


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "export",
        parents=[common],
        help="write ratings and follow-ups as JSON or CSV",
        description="Export ratings and their follow-ups. Phone numbers are masked unless --include-contacts.",
    )
    parser.add_argument("--format", choices=["json", "csv"], default="json")
    parser.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="first UTC day to include")
    parser.add_argument("--until", type=day, metavar="YYYY-MM-DD", help="last UTC day to include")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    parser.add_argument(
        "--include-contacts", action="store_true", help="show phone numbers in full (personal data: handle with care)"
    )
    parser.set_defaults(handler=run_export)

    backup_ = commands.add_parser(
        "backup",
        parents=[common],
        help="copy the data folder, while the kiosk and server keep writing",
        description="Copy every data file with its journal into DEST (new or empty), one file at a time under "
        "the store's lock. To restore, copy DEST back as the data folder (or point --data at it).",
    )
    backup_.add_argument("destination", metavar="DEST", help="a new or empty folder")
    backup_.set_defaults(handler=run_backup)


def run_export(args: argparse.Namespace, config: Config) -> int:
    if args.since and args.until and args.since > args.until:
        print("feedback export: --since is after --until", file=sys.stderr)
        return 2
    store = FeedbackStore.existing(config)
    write = export.write_json if args.format == "json" else export.write_csv
    with terminal_progress("export") as steps:
        ratings = Counted(store.rating_records(args.since, args.until, steps=steps))
        followups = Counted(store.each_followup_record(args.since, args.until))  # as stored: read as they are
        if args.output:
            # A BOM lets spreadsheet programs detect UTF-8 in CSV files.
            encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
            with open_private(args.output, encoding=encoding, newline="") as out:  # contacts, comments: owner only
                write(out, ratings, followups, include_contacts=args.include_contacts)
        else:
            write(sys.stdout, ratings, followups, include_contacts=args.include_contacts)
    if args.output:
        print(f"wrote {ratings.count} ratings and {followups.count} follow-ups to {args.output}", file=sys.stderr)
    return 0


def run_backup(args: argparse.Namespace, config: Config) -> int:
    store = FeedbackStore.existing(config)
    try:
        with terminal_progress("backup") as steps:
            copied = backup(store, Path(args.destination), steps=steps)
    except BackupExists as error:
        print(f"feedback backup: {error}", file=sys.stderr)
        return 2
    print(f"copied {copied} data files to {args.destination}", file=sys.stderr)
    return 0
