"""Our own question pasted back without quotation marks: its words are never read, only the rest."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Iterable

from sms.replies.leading import rating
from sms.replies.message import Message, prepare
from sms.replies.reply import Reply, ReplyKind
from sms.replies.words import words
from sms.settings import DEFAULT_TEXTS
from sms.words import fold

DEFAULT_QUESTIONS = (DEFAULT_TEXTS["question"], DEFAULT_TEXTS["reask"])
# Four words of our text in a row are ours ("if we exceeded them", "Reply STOP to opt out");
# "met them" is the customer's own.
_RUN = 4
_WORD = re.compile(r"\w+")
# What a mail-like reply leaves before the pasted text: "> ", "Re: ".
_BUSINESS = re.compile(r"[^\d:?!.]{1,60}:\s*")
_REPLY_MARKS = re.compile(r"^[\s>|:\-–—]*(?:(?:re|fw|fwd)\s*:\s*)?", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _template(question: str) -> tuple[str, ...]:
    return tuple(fold(word) for word in _WORD.findall(question.replace("{business}", " ")))


@functools.lru_cache(maxsize=64)
def _vocabulary(question: str) -> frozenset[str]:
    return frozenset(_template(question))


def _spans(text: str) -> list[tuple[str, int, int]]:
    """Each word of ``text``, folded, with where it stands: read once, not once a question."""
    return [(fold(found.group()), found.start(), found.end()) for found in _WORD.finditer(text)]


def without_our_words(text: str, questions: Iterable[str] = ()) -> tuple[str, bool]:
    """``text`` with every run of our questions' words taken out, and whether there was one."""
    if len(_WORD.findall(text)) < _RUN:
        return text, False  # too short to hold a run of our words
    removed = False
    spans = _spans(text)
    for question in (*questions, *DEFAULT_QUESTIONS):
        template = _template(question)
        vocabulary = _vocabulary(question)
        while sum(word in vocabulary for word, _, _ in spans) >= _RUN:  # else no run of ours is there
            match = difflib.SequenceMatcher(
                None, [word for word, _, _ in spans], template, autojunk=False
            ).find_longest_match()
            if match.size < _RUN:
                break
            start, end = spans[match.a][1], spans[match.a + match.size - 1][2]
            if match.b == 0 and _BUSINESS.fullmatch(text[:start]):
                start = 0  # "Corner Cafe: Did we meet…": the business name our question starts with
            text = f"{text[:start]} {text[end:].lstrip('?.!:,;…')}"
            spans = _spans(text)
            removed = True
    return (_REPLY_MARKS.sub("", text).strip() if removed else text), removed


def echo(message: Message) -> Reply | None:
    """``Did we meet your expectations? yes``, ``3 if we exceeded them``: the rest is read, never for an opt-out.

    ``Reply STOP to opt out`` or ``STOP to opt out`` pasted back is no opt-out, and our "1 if we
    fell short" is no answer: what is left beside our words may be a rating, else a person reads it.
    """
    rest, removed = without_our_words(message.text, message.questions)
    if not removed:
        return None
    beside = prepare(rest, opted_out=message.opted_out)
    for name, rule in (("rating", rating), ("words", words)):
        reply = rule(beside)
        if reply is not None and reply.kind is ReplyKind.RATING:
            return dataclasses.replace(reply, rule=name)
        if reply is not None:
            break
    return Reply(ReplyKind.UNCLEAR, rule="echo")
