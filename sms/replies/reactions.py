"""Tapbacks: a text that quotes one of our questions is read by what stands outside the quote."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re

from shared.ratings import Outcome
from sms.replies.keywords import keyword, opt_out_phrase
from sms.replies.leading import rating
from sms.replies.message import EMOJI, NEUTRAL_EMOJI, Message, Quote, is_emoji, prepare
from sms.replies.reply import Reply, ReplyKind
from sms.replies.words import read_words, words
from sms.settings import DEFAULT_TEXTS
from sms.words import fold, reactions

DEFAULT_QUESTIONS = (DEFAULT_TEXTS["question"], DEFAULT_TEXTS["reask"])
_QUESTION_LIKE = re.compile(
    r"did we meet|expectations?(?: today)?\s*\?|how (?:did we do|was your|would you rate)|rate (?:us|your)"
    r"|\b(?:visit|service|experience|satisf\w*|feedback)\b[^?]{0,40}\?"
    r"|\b1\b[^.!]{0,60}\b2\b[^.!]{0,60}\b3\b|\b1 ?(?:-|–|to) ?3\b"
)
_OURS_LIKE = re.compile(r"\b(?:reply|text|txt|send) stop\b|\bstop to (?:opt|unsubscribe|end|cancel)|\bopt.?out\b")


_BOILERPLATE = re.compile(
    r"\b(?:reply|text|txt|send) (?:stop|start|help) to (?:opt (?:out|back in)|unsubscribe|cancel)\b"
)


@functools.lru_cache(maxsize=64)
def _words_of(text: str) -> tuple[str, ...]:
    """The words of one of our texts, without the opt-out line every text ends with."""
    plain = " ".join(re.findall(r"\w+", fold(text.replace("{business}", " "))))
    return tuple(_BOILERPLATE.sub(" ", plain).split())


def _is_our_question(quote: Quote, questions: tuple[str, ...]) -> bool:
    """The quote is one of our questions: a long enough run of its words, or what a rating question says."""
    words = list(_words_of(quote.text))
    if quote.cut and words:
        words.pop()  # "…if we fe…": the last word may be cut
    for question in (*questions, *DEFAULT_QUESTIONS):
        template = _words_of(question)
        match = difflib.SequenceMatcher(None, words, template, autojunk=False).find_longest_match()
        short_enough = match.size >= 2 and match.size >= len(words) - 4 and words[:1] != ["thanks"]
        if match.size >= 5 or short_enough:  # a short "Thanks! Glad we met your expectations." is no question
            return True
    return bool(_QUESTION_LIKE.search(fold(quote.text)))


def _emoji_outcome(chars: str) -> Outcome | None:
    outcomes = {EMOJI[char] for char in chars if char in EMOJI}
    return outcomes.pop() if len(outcomes) == 1 and not any(char in NEUTRAL_EMOJI for char in chars) else None


_MARK = re.compile(r"[^\w\s{}]")


def _words_and_emoji(text: str) -> str:
    """Folded words and emoji, marks taken out; ``{q}`` (where the quote was) kept."""
    kept = _MARK.sub(lambda found: found.group() if is_emoji(found.group()) else " ", fold(text))
    return " ".join(kept.split())


def _tapback(outside: str) -> tuple[bool, Outcome | None, bool]:
    """(is a tapback, its outcome, taken back) from the words around the quote."""
    table = reactions()
    shape = _words_and_emoji(outside)
    verb = shape.removesuffix(" {q}").removesuffix("{q}").strip()
    for candidate in (shape, verb):
        if candidate in table.verbs:
            return True, table.verbs[candidate], False
        if candidate in table.removed:
            return True, None, True
    if any(verb == start or verb.startswith(start + " ") for start in table.removal_starts):
        return True, None, True
    emoji = "".join(char for char in verb if is_emoji(char))
    if emoji:
        template = " ".join(re.sub(r"[^\w\s{}]+", " {e} ", verb).split())
        template = re.sub(r"(?:\{e\} ?)+", "{e} ", template).strip()
        if template in table.emoji_templates or template.replace(" {q}", "") in table.emoji_templates:
            return True, _emoji_outcome(emoji), False
    return False, None, False


def reaction(message: Message) -> Reply | None:
    """A quote is never read: a tapback is read by its verb, any other text by what stands beside the quote.

    ``Liked “Did we meet…? Reply STOP…”`` is met, never an opt-out; ``“Did we meet…?” 3`` is the 3.
    A text that is all quote, or a short quote, and not ours, is the customer's own quotation marks
    (``"3"``, ``the "manager" was rude``), read by the next rules; but a verdict in scare quotes
    (``"Great" service lol``) is unclear.
    """
    quote = message.quote
    if quote is None:
        return _media_reaction(message)
    is_tapback, outcome, removed = _tapback(quote.outside)
    ours = _is_our_question(quote, message.questions)
    if is_tapback:
        if any(mark in quote.text for mark in "“”«»„"):
            return Reply(ReplyKind.UNCLEAR, rule="reaction", is_reaction=True)  # two reactions in one text
        if outcome is not None and ours and not removed:
            return Reply(ReplyKind.RATING, outcome, rule="reaction", is_reaction=True)
        return Reply(ReplyKind.UNCLEAR, rule="reaction", is_reaction=True, removed=removed)
    ours = ours or bool(_OURS_LIKE.search(fold(quote.text)))
    if not _words_and_emoji(quote.outside.replace("{q}", " ")):  # all quote
        return Reply(ReplyKind.UNCLEAR, rule="reaction") if ours else None
    if not ours and len(quote.text.split()) <= 3:
        if read_words(quote.text).signals:
            return Reply(ReplyKind.UNCLEAR, rule="reaction")  # scare quotes: "Great" service lol
        beside = read_words(quote.outside.replace("{q}", " "))
        if any(outcome is not Outcome.BELOW for outcome, _ in beside.signals):
            return Reply(ReplyKind.UNCLEAR, rule="reaction")  # praise for the new 'system': scare quotes too
        return None  # the customer's own quotation marks: the "manager" was rude
    return _answer_beside(quote, message) or Reply(ReplyKind.UNCLEAR, rule="reaction")


def _answer_beside(quote: Quote, message: Message) -> Reply | None:
    """What a customer wrote beside a quote of our question, read by the other rules; never the quote."""
    beside = prepare(quote.outside.replace("{q}", " "), opted_out=message.opted_out)
    for name, rule in (("keyword", keyword), ("opt_out_phrase", opt_out_phrase), ("rating", rating), ("words", words)):
        reply = rule(beside)
        if reply is not None:
            return dataclasses.replace(reply, rule=reply.rule or name) if reply.kind is not ReplyKind.UNCLEAR else None
    return None


@functools.cache
def _media_endings() -> tuple[str, ...]:
    return tuple(" " + noun for noun in reactions().media)


def _media_reaction(message: Message) -> Reply | None:
    """``Liked an image``, ``Le gustó una imagen``: a tapback on something that is not our question."""
    plain = _words_and_emoji(message.text)
    unadorned = " ".join(word for word in plain.split() if not is_emoji(word))  # "👍 Liked your message"
    if not (plain.endswith(_media_endings()) or unadorned.endswith(_media_endings())):
        return None  # no text ends with "an image": no need to look for the verb before it
    for noun in reactions().media:
        for shape in (plain, unadorned):
            if shape.endswith(" " + noun) and _tapback(shape.removesuffix(noun))[0]:
                return Reply(ReplyKind.UNCLEAR, rule="reaction", is_reaction=True)
    return None
