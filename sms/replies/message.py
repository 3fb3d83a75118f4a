"""A text prepared once for every rule: normalised; station code, signature and quote taken out; emoji tables."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.ratings import Outcome
from sms.replies.reply import Reply
from sms.words import emoji, fold, lexicon

EMOJI: dict[str, Outcome] = emoji().outcomes
NEUTRAL_EMOJI = emoji().neutral
STARS = emoji().stars
SARCASM = emoji().sarcasm
_EMOTICONS = emoji().emoticons
_EMOTICON = re.compile(r"(?<!\S)(?:" + "|".join(re.escape(face) for face in _EMOTICONS) + r")(?!\S)", re.IGNORECASE)
NUMBERS = {1: Outcome.BELOW, 2: Outcome.MET, 3: Outcome.EXCEEDED}


def is_emoji(char: str) -> bool:
    """A pictograph (Unicode "other symbol"), not a letter, digit or punctuation mark."""
    return not char.isascii() and any(unicodedata.category(one) == "So" for one in char)  # ASCII has none


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted span: its text, whether it was cut short, and the words around it (``{q}`` marks it)."""

    text: str
    cut: bool
    outside: str


@dataclass(frozen=True, slots=True)
class Message:
    """A text prepared once for every rule: normalised, with its station code and any quote taken out."""

    text: str  # NFKC; keycaps, emoticons and quotes simplified; station code, QR prefill, signature removed
    opted_out: bool
    station_code: str
    quote: Quote | None = None
    questions: tuple[str, ...] = ()
    opt_out_type: str = ""


Rule = Callable[[Message], Reply | None]

_STATION = re.compile(r"(?<![\w#])#([A-Za-z][A-Za-z0-9_-]{0,39})\b")
_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200b-\u200d\u2060\ufeff\U0001f3fb-\U0001f3ff]")
_QUOTES = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "「": '"', "」": '"', "‘": "'", "’": "'", "‚": "'", "`": "'"}
)
# Opening quotation mark -> the marks that may close it (languages and apps pair them differently).
_PAIRS = {
    "“": '”“"',
    '"': '"”“',
    "«": "»",
    "»": "«",
    "„": '“”"',
    "‚": "‘’",
    "‘": "’‘",
    "「": "」",
    "『": "』",
    "‹": "›",
    "›": "‹",
    "”": "”",
    "〝": "〞〟",
    "'": "'’",
}
_SIGNATURE = re.compile(r"\s*(?:\bsent from my [\w -]{1,40}|\bget outlook for \w+)\s*$", re.IGNORECASE)
_ZWJ_SEQUENCE = re.compile("[^\\s\u200d][\ufe0f\U0001f3fb-\U0001f3ff]?(?:\u200d[^\\s\u200d][\ufe0f]?)+")


def _zwj_sequence(found: re.Match[str]) -> str:
    """One emoji made of several: 🤷‍♀️ is 🤷 and ❤️‍🔥 is ❤, but ❤️‍🩹 (mending) is neither ❤ nor 🩹."""
    first, *others = (part.strip("\ufe0f") for part in found.group().split("\u200d"))
    first = first.rstrip("\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
    if all(other in "♀♂⚧" or (other in EMOJI and EMOJI.get(first) is EMOJI[other]) for other in others):
        return first
    return "🫤"


_SPACES = re.compile(r"\s+")
_MARKS = re.compile(r"[^\w\s]|_")
_QR_PREFILL = re.compile(r"^[\s,:;.\-–—]*(?:feedback\b[\s,:;.\-–—]*)?", re.IGNORECASE)
_ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")


def _word_tag(found: re.Match[str]) -> str:
    """A hashtag that is a word (``#not``, ``#fail``) is read as the word; any other is a station code."""
    return f" {lexicon().hashtags[word]} " if (word := fold(found.group(1))) in lexicon().hashtags else found.group()


def _quote(text: str) -> Quote | None:
    """The first quoted span, to the last mark that closes it (or to the end, when cut off)."""
    starts = [
        index
        for index, char in enumerate(text)
        if char in _PAIRS and (char != "'" or index == 0 or text[index - 1].isspace())  # not "I'd"
    ]
    if not starts:
        return None
    start = starts[0]
    closers = _PAIRS[text[start]]
    end = max((index for index, char in enumerate(text) if char in closers and index > start), default=-1)
    if end == -1:
        inner, after, cut = text[start + 1 :], "", True
    else:
        inner, after, cut = text[start + 1 : end], text[end + 1 :], False
    if not inner.strip():
        return None
    cut = cut or bool(_ELLIPSIS.search(inner))
    return Quote(inner, cut, f"{text[:start]} {{q}} {after}")


def prepare(text: str, *, opted_out: bool = False, questions: Iterable[str] = (), opt_out_type: str = "") -> Message:
    """Normalise once what every phone may send: full-width and keycap digits, emoji sequences, signatures."""
    raw = text if isinstance(text, str) else ""
    simple = unicodedata.normalize("NFKC", raw)
    simple = _KEYCAP.sub(r"\1", simple)
    simple = _ZWJ_SEQUENCE.sub(_zwj_sequence, simple)
    simple = _INVISIBLE.sub("", simple)
    simple = _SIGNATURE.sub("", simple)
    simple = _EMOTICON.sub(lambda found: _EMOTICONS[found.group().casefold()], simple)
    simple = _STATION.sub(_word_tag, simple)  # "great #not" is no station "not"
    quote = _quote(simple)
    simple = simple.translate(_QUOTES)
    found = _STATION.search(quote.outside if quote else simple)
    station = found.group(1).lower() if found else ""
    if found and not quote:  # the QR poster's "Feedback #code" prefill, and the marks left around the code
        simple = _QR_PREFILL.sub("", _STATION.sub(" ", simple))
    simple = _SPACES.sub(" ", simple).strip()
    return Message(
        text=simple,
        opted_out=opted_out,
        station_code=station,
        quote=quote,
        questions=tuple(question for question in questions if isinstance(question, str)),
        opt_out_type=opt_out_type.strip().upper() if isinstance(opt_out_type, str) else "",
    )


def plain(text: str) -> str:
    """Folded, every mark and emoji a space: how keywords and phrases are compared."""
    return " ".join(_MARKS.sub(" ", fold(text)).split())
