"""``feedback sms`` (serve the Twilio webhook), ``feedback send`` (text the question), ``feedback qr``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.config import Config, ConfigError
from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for name in ("sms", "serve"):
        parser = commands.add_parser(
            name,
            parents=[common],
            help="serve the Twilio SMS webhook, the tills' API and the sync API (waitress)"
            + (": the same as `feedback sms`" if name == "serve" else ""),
            description="Serve the Twilio webhook (/sms), the tills' API (/api/prompts), the sync API for remote "
            "kiosks and consoles, and /healthz, with waitress; alert managers about answers that fell short. Needs "
            "TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) to check Twilio's signatures, and PUBLIC_URL (or [sms] "
            "trusted_proxies or allowed_hosts) for the URL they cover. Listen on 127.0.0.1 behind a reverse proxy "
            "that holds TLS.",
        )
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=_port, default=5000, help="port (default 5000; 0 picks a free one)")
        parser.add_argument("--threads", type=_threads, default=8, help="worker threads (default 8)")
        parser.add_argument(
            "--insecure-dev",
            action="store_true",
            help="start without TWILIO_AUTH_TOKEN or PUBLIC_URL, accepting unsigned requests (development only)",
        )
        parser.set_defaults(handler=run_sms)

    send = commands.add_parser(
        "send",
        parents=[common],
        help="text the question to a customer",
        description="Text the question now, unless the number opted out, was asked within the cooling-off "
        "period, or it is quiet hours. Without Twilio credentials the text is printed instead.",
    )
    send.add_argument("phone", help="the customer's number, such as +15551234567")
    send.add_argument("--staff", default="", metavar="NAME", help="who served the customer")
    send.add_argument("--station", default="", metavar="NAME", help="where (till, desk, drive-thru)")
    send.add_argument("--touchpoint", default="", metavar="NAME", help="what kind of visit (checkout, repair)")
    send.set_defaults(handler=run_send)

    qr = commands.add_parser(
        "qr",
        parents=[common],
        help="write a printable QR poster that texts the shop from a station",
        description="Write a poster (PNG at 300 dpi or SVG, by the file's suffix) with the question, a QR code "
        "that texts the business number with the station's code prefilled, the station, and how to text without "
        "scanning. Its words come from [sms.texts] (poster_question, poster_station, poster_instruction).",
    )
    qr.add_argument("--station", required=True, metavar="NAME", help="where the poster stands (Front desk)")
    qr.add_argument("--output", "-o", required=True, metavar="FILE", help="a file ending in .png or .svg")
    qr.add_argument("--size", default="a5", help="the page: a5 (default), a4 or letter")
    qr.add_argument("--number", metavar="PHONE", help="the number to text (default: TWILIO_FROM_NUMBER)")
    qr.add_argument("--code-only", action="store_true", help="the bare QR code, without page or words")
    qr.set_defaults(handler=run_qr)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 0 to 65535")
    return int(text)


def _threads(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of threads from 1 to 256")
    return int(text)


def run_sms(args: argparse.Namespace, config: Config) -> int:
    from server.app import InsecureRefused
    from server.run import CannotListen, serve

    try:
        return serve(config, args.host, args.port, insecure_dev=args.insecure_dev, threads=args.threads)
    except (InsecureRefused, CannotListen) as error:
        print(f"feedback {args.command}: {error}", file=sys.stderr)
        return 2


def run_send(args: argparse.Namespace, config: Config) -> int:
    from shared.store import FeedbackStore
    from sms.prompts import Prompter
    from sms.sender import SendFailed, sender_for
    from sms.settings import load_sms_config

    settings = load_sms_config(config)
    prompter = Prompter(settings, FeedbackStore.from_config(config), sender_for(settings))
    try:
        phone = normalise_phone(args.phone, settings.phone_region)
        result = prompter.send_prompt(phone, staff=args.staff, station=args.station, touchpoint=args.touchpoint)
    except (InvalidPhoneNumber, SendFailed) as error:
        print(f"feedback send: {error}", file=sys.stderr)
        return 2 if isinstance(error, InvalidPhoneNumber) else 1
    if not result.sent:
        print(f"feedback send: not sent to {mask_phone(phone)}: {REFUSALS[str(result.refusal)]}", file=sys.stderr)
        return 3
    print(f"sent the question to {mask_phone(phone)} (prompt {result.prompt_id})")
    return 0


REFUSALS = {
    "opted_out": "the number opted out of texts",
    "cooling_off": "the number was already asked recently (cooling-off period)",
    "quiet_hours": "it is quiet hours; try again later",
}


def run_qr(args: argparse.Namespace, config: Config) -> int:
    from sms.poster import PageSize, font_note, poster_text, write_poster
    from sms.qr import PosterError, poster_link, station_code, write_code
    from sms.settings import load_sms_config

    settings = load_sms_config(config)
    number = settings.from_number
    if args.number:
        try:
            number = normalise_phone(args.number, settings.phone_region)
        except InvalidPhoneNumber as error:
            raise ConfigError(f"--number: {error}") from None
    output = Path(args.output)
    try:
        page = PageSize(args.size.lower())
    except ValueError:
        print(f"feedback qr: --size must be one of {', '.join(PageSize)}, not {args.size!r}", file=sys.stderr)
        return 2
    notes = []
    try:
        link = poster_link(number, args.station)
        if args.code_only:
            write_code(output, link)
        else:
            text = poster_text(settings, number, args.station)
            write_poster(output, text, link, page)
            notes.append(font_note(text) if output.suffix.lower() == ".png" else "")
    except PosterError as error:
        print(f"feedback qr: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"feedback qr: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {output}: {link}")
    code = station_code(args.station)
    if code not in settings.stations:
        mapping = f"{code} = {json.dumps(args.station, ensure_ascii=False)}"
        notes.append(f"note: add `{mapping}` to [sms.stations] so its answers are filed under that name, not {code!r}")
    for note in filter(None, notes):
        print(note, file=sys.stderr)
    return 0
