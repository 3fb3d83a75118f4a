"""``feedback manager``, ``feedback report`` and ``feedback purge``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta

from manager.report_trends import add_trend_arguments, trend_options
from manager.settings import ManagerSettings
from shared.arguments import day
from shared.config import Config
from shared.private_files import write_private
from shared.progress import terminal_progress
from shared.remote import add_token_arguments, refuse_token_argument
from shared.retention import InvalidRetention, parse_span, purge
from shared.store import FeedbackStore

DEFAULT_REPORT_DAYS = 7


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    manager = commands.add_parser(
        "manager",
        parents=[common],
        help="run the managers' console: the live follow-up queue (Textual)",
        description="Run the managers' console: every answer that fell short, live, to claim, call back and "
        "resolve, and the statistics. Works on the data folder, or with --server on the shop's server.",
    )
    manager.add_argument("--name", metavar="NAME", help="who claims and resolves (default: [manager] name, $USER)")
    manager.add_argument("--server", metavar="URL", help="remote mode: the server's queue ([sync] server)")
    add_token_arguments(manager, "FEEDBACK_MANAGER_TOKEN")
    manager.set_defaults(handler=run_manager)

    report = commands.add_parser(
        "report",
        parents=[common],
        help="statistics for a period as text, CSV or HTML",
        description="Days are the shop's local days (timezone in the config). Default: the last 7 days.",
    )
    report.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="first local day")
    report.add_argument("--until", type=day, metavar="YYYY-MM-DD", help="last local day (default: today)")
    report.add_argument("--format", choices=["text", "csv", "html", "json"], default="text")
    report.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    add_trend_arguments(report)
    report.set_defaults(handler=run_report)

    purge_ = commands.add_parser(
        "purge",
        parents=[common],
        help="erase phone numbers and comments older than the retention period",
        description="Erase phone numbers, comments and notes older than the period; counts are kept.",
    )
    purge_.add_argument(
        "--older-than", metavar="PERIOD", help="such as 90d or 12w (default: retention_days in the config)"
    )
    purge_.add_argument("--dry-run", action="store_true", help="say what would be erased, erase nothing")
    purge_.set_defaults(handler=run_purge)


def manager_name(args_name: str | None, config: Config) -> str:
    """--name, else ``[manager] name``, else the login name; empty means "ask"."""
    configured = ManagerSettings.from_config(config).name
    return (args_name or configured or config.env.get("USER", "")).strip()


def run_manager(args: argparse.Namespace, config: Config) -> int:
    from manager.app import ManagerApp
    from manager.remote import remote_settings

    refuse_token_argument(args, "FEEDBACK_MANAGER_TOKEN")
    remote = remote_settings(config, server=args.server, token_file=args.token_file)
    ManagerApp(config, name=manager_name(args.name, config), remote=remote).run()
    return 0


def report_days(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    until = until or (today if since is None else max(today, since))
    since = since or until - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    return since, until


def run_report(args: argparse.Namespace, config: Config) -> int:
    from manager.report import gather, render

    now = datetime.now(UTC)
    since, until = report_days(args.since, args.until, now.astimezone(config.zone).date())
    if since > until:
        print("feedback report: --since is after --until", file=sys.stderr)
        return 2
    store = FeedbackStore.existing(config)
    with terminal_progress("report") as steps:
        stats = gather(
            store,
            since=since,
            until=until,
            zone=config.zone,
            now=now,
            target=config.followup_target,
            steps=steps,
            trends=trend_options(args),
        )
    text = render(stats, args.format, business=config.business_name, labels=ManagerSettings.from_config(config).reasons)
    if args.output:
        write_private(args.output, text, encoding="utf-8-sig" if args.format == "csv" else "utf-8", newline="")
        print(f"wrote the {args.format} report for {since} – {until} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_purge(args: argparse.Namespace, config: Config) -> int:
    try:
        older_than = parse_span(args.older_than) if args.older_than else timedelta(days=config.retention_days)
    except InvalidRetention as error:
        print(f"feedback purge: {error}", file=sys.stderr)
        return 2
    store = FeedbackStore.existing(config)
    with terminal_progress("purge") as steps:
        result = purge(store, older_than=older_than, now=datetime.now(UTC), dry_run=args.dry_run, steps=steps)
    print(result.describe())
    return 0
