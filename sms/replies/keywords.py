"""Opting out, in and asking for help: Twilio's OptOutType, its keywords, and plain phrasing."""

from __future__ import annotations

import re

from sms.replies.message import Message, plain
from sms.replies.reply import Reply, ReplyKind
from sms.replies.words import read_words
from sms.words import fold, lexicon


def opt_out_type(message: Message) -> Reply | None:
    """Twilio already matched the text against the account's (maybe custom) keywords: it wins."""
    kind = {"STOP": ReplyKind.OPT_OUT, "START": ReplyKind.OPT_IN, "HELP": ReplyKind.HELP}.get(message.opt_out_type)
    return Reply(kind) if kind else None


_JOINED_STARTS = frozenset({"stop", "opt", "un", "start", "help"})
_ASKED_BACK = re.compile(r"\?[\s!?.]*$")
_AN_ANSWER = re.compile(r"(?<!\w)[123](?!\w)")


def keyword(message: Message) -> Reply | None:
    """Twilio's own keywords, alone: "Stop.", "STOP!!", "stop 🛑", "opt-out", "stop all"."""
    known = lexicon()
    words = plain(message.text)
    kept = [word for word in words.split() if word not in known.courtesies]
    if kept and len(kept) < len(words.split()):
        words = " ".join(kept)  # "stop merci", "stop please and thank you", "help please"
    parts = words.split()
    # "s t o p", "stop all", "opt out" are the keyword; "STO P" is not
    joined = len(parts) < 2 or all(len(part) == 1 for part in parts) or parts[0] in _JOINED_STARTS
    compact = words.replace(" ", "") if joined else words
    if compact in known.opt_out_keywords:
        if _ASKED_BACK.search(message.text):
            return Reply(ReplyKind.UNCLEAR, rule="keyword")  # "STOP?": asked, not said; a person answers
        return Reply(ReplyKind.OPT_OUT)
    if message.opted_out and words in known.opt_in_when_opted_out:
        return Reply(ReplyKind.OPT_IN)
    if compact in known.opt_in_keywords:
        return Reply(ReplyKind.OPT_IN)
    if compact in known.help_keywords:
        return Reply(ReplyKind.HELP)
    return None


def _denied(message: Message, before: str, after: str) -> bool:
    """ "don't unsubscribe me", "why would I unsubscribe", "unsubscribe? no way": the words around deny it.

    Only words of the same clause count: "I never signed up, unsubscribe me" is an opt-out.
    """
    known = lexicon()
    marked = re.sub(r"[^\w\s|]|_", " ", re.sub(r"[,.;:!?…]", " | ", fold(message.text))).split()
    count = len(before.split())
    clause: list[str] = []
    for word in marked:
        if count == 0 and word != "|":
            break  # the clause marks right before the phrase end the clause too
        clause = [] if word == "|" else [*clause, word]
        count -= word != "|"
    near = " ".join(clause[-4:])
    denied = any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", near) for word in known.denied_before)
    return denied or any(after.strip().startswith(word) for word in known.denied_after)


_REQUEST = re.compile(r"^(?:(?:can|could|would|will|pls|please|plz) (?:you|u|ya)|please|pls|plz)\b")


def _asked_or_conditional(text: str, pattern: re.Pattern[str]) -> bool:
    """The sentence with the phrase asks ("Remove me?", but "can you remove me?" is a request) or sets a
    condition ("I'll unsubscribe if you keep texting"): a person reads it."""
    for sentence in re.findall(r"[^.!?]+[.!?]*", text):
        words = plain(sentence)
        if pattern.search(words):
            asked = sentence.rstrip().endswith("?") and not _REQUEST.search(words)
            return asked or bool(re.search(r"\b(?:if|unless)\b", words))
    return False


def opt_out_phrase(message: Message) -> Reply | None:
    """Plain opt-out wording; never "Reply STOP to opt out" quoted back, nor "wouldn't stop talking"."""
    text = plain(message.text)
    known = lexicon()
    if any(pattern.search(text) for pattern in known.not_opt_out):
        return None
    if message.text.rstrip().endswith("?") and any(pattern.search(text) for pattern in known.asked):
        return None  # "can I unsubscribe later?"
    for pattern in known.opt_out_phrases:
        if (found := pattern.search(text)) and not _denied(message, text[: found.start()], text[found.end() :]):
            if (
                _AN_ANSWER.search(text[found.end() :])
                or _asked_or_conditional(message.text, pattern)
                or any(other.search(text) for other in known.opt_out_unclear)  # "don't text me, call me"
            ):
                return Reply(ReplyKind.UNCLEAR, rule="opt_out_phrase")  # "leave me alone lol 3": a person reads it
            return Reply(ReplyKind.OPT_OUT)
    # the keyword set apart by a mark ("Stop. Wrong number.", "Stop - Mike"), not joined ("stop-start service")
    found = re.match(
        r"^\W*([^\W\d_]+)(?:\s*[.!,;:]+|\s+[-–—]+|[-–—]+\s"
        r"|\s+(?=(?:please|pls|thanks|thank you|thx|ty|cheers)\b))\s*(.*)$",  # "Stop thanks Jenny"
        message.text,
        re.DOTALL | re.IGNORECASE,
    )
    if not found or plain(found.group(1)) not in known.opt_out_keywords:
        return None
    rest = found.group(2)
    said = read_words(rest)
    answerless = not re.search(r"\d", rest) and not said.signals and not said.positive  # "Stop, you're too kind"
    return Reply(ReplyKind.OPT_OUT) if answerless else None  # "Stop. Wrong number.", "Stop - Mike"
